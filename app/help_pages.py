"""Help pages (操作手册, 相关政策) written in Markdown by administrators.

Markdown is converted with the `markdown` package and the HTML is then
cleaned with `nh3`, which keeps only the tags and attributes listed below.
Scripts and styles are removed with their content, event-handler and style
attributes are dropped, and links keep only http, https and mailto URLs, so
a page cannot run code in a reader's session.

HelpPageAdminView below is the screen that edits the pages.
"""

from __future__ import annotations

import logging
from typing import Optional

import markdown
import nh3
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from .extensions import db
from .forms import REQUIRED
from .models import Account, HelpPage, utc_now

log = logging.getLogger(__name__)

PAGE_TITLES = {"manual": "操作手册", "policy": "相关政策"}
MAX_MARKDOWN_LENGTH = 100_000

AUDIT_ACTIONS = {"help_page.save": "修改帮助页面", "help_page.import": "导入帮助页面"}

ALLOWED_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "br",
    "hr",
    "blockquote",
    "pre",
    "code",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "b",
    "i",
    "del",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_TABLE_CLASS = '<table class="table table-bordered table-condensed">'


def render_markdown(text: str) -> Markup:
    """Convert Markdown to sanitised HTML, safe to insert into a page unescaped."""
    html = markdown.markdown(
        text or "",
        extensions=["tables", "sane_lists"],
        # Alignment as the align attribute, because style attributes are removed.
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    # The cleaner leaves <table> without attributes, so this adds the only class.
    return Markup(cleaned.replace("<table>", _TABLE_CLASS))


def page_of(slug: str) -> Optional[HelpPage]:
    return db.session.scalar(select(HelpPage).where(HelpPage.slug == slug))


def page_content(slug: str) -> tuple[str, Markup]:
    """Return a help page's title and HTML, from the built-in text until it is stored.

    Raises KeyError for a slug that is not a help page.
    """
    default_title = PAGE_TITLES[slug]
    page = page_of(slug)
    if page is None:
        return default_title, render_markdown(DEFAULT_MARKDOWN[slug])
    return page.title or default_title, render_markdown(page.markdown)


def save_page(actor: Account, slug: str, title: str, text: str) -> HelpPage:
    """Store a help page's title and Markdown and record the change in the audit log."""
    page = page_of(slug)
    before = None
    if page is None:
        page = HelpPage(slug=slug)
        db.session.add(page)
    else:
        before = {"title": page.title, "markdown": page.markdown}
    page.title = title.strip() or PAGE_TITLES[slug]
    page.markdown = text
    page.changed_by_id = actor.id
    page.changed_on = utc_now()
    db.session.flush()

    from .audit import record_audit

    record_audit(
        actor,
        "help_page.save",
        "help_page",
        slug,
        f"修改帮助页面“{page.title}”",
        None,
        {"before": before, "title": page.title, "markdown": text},
    )
    db.session.commit()
    log.info("help page %s saved by user=%s", slug, actor.id)
    return page


def seed_help_pages() -> list[str]:
    """Store the built-in text of each help page not stored yet, and return the slugs.

    Idempotent: a stored page, edited or not, is left alone.
    """
    from .audit import record_audit

    inserted = []
    for slug, title in PAGE_TITLES.items():
        if page_of(slug) is not None:
            continue
        db.session.add(
            HelpPage(slug=slug, title=title, markdown=DEFAULT_MARKDOWN[slug])
        )
        record_audit(
            None, "help_page.import", "help_page", slug, f"导入帮助页面“{title}”"
        )
        inserted.append(slug)
    db.session.commit()
    if inserted:
        log.info("seeded help pages %s", ", ".join(inserted))
    return inserted


# The 帮助页面 screen ------------------------------------------------------


class HelpPageForm(FlaskForm):
    title = StringField(
        "标题",
        validators=[
            DataRequired(REQUIRED),
            Length(max=60, message="标题不能超过60个字"),
        ],
    )
    markdown = TextAreaField(
        "内容（Markdown）",
        validators=[
            Length(
                max=MAX_MARKDOWN_LENGTH,
                message=f"内容不能超过{MAX_MARKDOWN_LENGTH}个字符",
            )
        ],
    )


class HelpPageAdminView(BaseView):
    """帮助页面: edit 操作手册 and 相关政策 in Markdown, with a preview."""

    route_base = "/admin/help"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        pages = {slug: page_of(slug) for slug in PAGE_TITLES}
        return self.render_template(
            "admin/rules/help_pages.html", pages=pages, titles=PAGE_TITLES
        )

    @expose("/<slug>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, slug: str):
        if slug not in PAGE_TITLES:
            abort(404)
        page = page_of(slug)
        form = HelpPageForm()
        if request.method == "GET":
            form.title.data = page.title if page else PAGE_TITLES[slug]
            form.markdown.data = page.markdown if page else DEFAULT_MARKDOWN[slug]

        preview = None
        if request.method == "POST" and form.validate():
            if "preview" in request.form:
                preview = render_markdown(form.markdown.data or "")
            else:
                save_page(g.user, slug, form.title.data, form.markdown.data or "")
                flash(f"已保存“{form.title.data.strip()}”", "success")
                return redirect(url_for(".list"))
        return self.render_template(
            "admin/rules/help_page_edit.html", form=form, slug=slug, preview=preview
        )


MANUAL_MARKDOWN = """\
### 一、注册与登录

1. 首次申报的人员点击登录页的【立即注册】，填写姓名、身份证号、手机号和密码，并依次选择区域、省(直属)单位、工作单位和县单位(部门)（没有县单位或部门的选“无”），保存后即可登录。
2. 往年注册过的人员不需要重新注册，使用身份证号或手机号和原密码登录。
3. 审核人员的账号由国网人才中心统一下发，不能自行注册。

### 二、完善个人信息

登录后在首页点击【修改】，补充现职称等级、现职称、取得时间，以及拟申报年份、方式、等级、专业、分支专业和职称，点击【保存】。拟申报职称等级须高于现职称等级，拟申报职称须属于所选专业和等级。可在首页上传本人照片（JPG 或 PNG）。

### 三、业绩填报

1. 在“学时折算 → 业绩填报”中，按类别（公需科目、必修专业课、面授培训、网络课程、学术会议、论文、科研项目等）填写继续教育活动。
2. 【查询】按年份查看已填写的业绩；【新增】填写一条新的活动；【保存】后在列表中显示并给出折算学时和计算过程；【修改】、【删除】用于调整已填写的记录。
3. 每条业绩可上传佐证材料（PDF、JPG 或 PNG 扫描件），并选择扫描件类型：证书、通知文件、成绩单、发票或其他。

### 四、预算学时与提交

1. 填写完成后点击【预算学时】，系统按所填业绩重新计算近四年每年的公需科目、必修专业课、选修专业课和总学时，不达标的项目会标红。
2. 须达标的年度都满足要求时，点击【提交】，申报将送到所在地市级单位审核（省公司本部人员直接送省公司审核）。
3. 有特殊原因导致学时不足的，提交时须选择破格类型、填写情况说明，并上传单位盖章版佐证材料。
4. 提交后，所涉年度的业绩在审核期间不能修改；申报被退回后可以修改并重新提交。
5. 设置了申报时间的年度，只能在申报时间内提交，首页会显示申报时间；申报时间外仍可填报业绩。
"""

POLICY_MARKDOWN = """\
### 年度学时要求

《专业技术人员继续教育规定》（人力资源社会保障部令第25号，2015年）规定，专业技术人员每年参加继续教育的时间累计不少于90学时，其中专业科目一般不少于总学时的三分之二。

国网人才交流服务中心关于学时折算工作的通知（依据国家电网企管〔2021〕70号、人才评价〔2022〕14号）规定的每年最低学时：

| 科目 | 每年不少于 |
| --- | --- |
| 公需科目 | 10学时 |
| 必修专业课 | 20学时 |
| 专业科目（必修专业课 + 选修专业课） | 60学时 |
| 总学时 | 90学时 |

- 年度总学时不达标的，不得申报；各年度学时不能互相累加。
- 认定方式统计申报前1年的学时，评审方式统计申报前3年的学时；平台显示近四年的学时情况。
- 面授培训、学术会议、论文著作、科研项目等活动按折算标准计为选修专业课学时。平台的默认折算标准参照各地公开发布的规定，由管理员按本单位政策调整。

### 破格申报

因脱产学习、病假或产假、援藏援疆援外、挂职借调、年度内新入职等特殊原因导致学时不足的，可在提交时选择破格类型，填写情况说明，并上传单位盖章的佐证材料，由审核单位审核。

### 个人信息保护

身份证号和手机号属于《个人信息保护法》保护的个人信息，其中身份证号属于敏感个人信息。平台只向本人及其所在单位的审核人员显示，审核列表中的身份证号只显示前6位和后4位。
"""

DEFAULT_MARKDOWN = {"manual": MANUAL_MARKDOWN, "policy": POLICY_MARKDOWN}
