"""操作手册 and 相关政策: stored Markdown, the edit screen and sanitised output."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import help_pages
from app.demo import DEMO_EMPLOYEE_ID
from app.extensions import db
from app.models import AuditEntry, HelpPage

HOSTILE_MARKDOWN = """\
### 标题

<script>alert("script")</script>
<img src="x.png" onerror="alert('img')">
<p style="color: red" onclick="alert('p')">带样式的段落</p>
[脚本链接](javascript:alert('link'))
<a href="JaVaScRiPt:alert('a')">大小写混合</a>
<a href="data:text/html;base64,PHNjcmlwdD4=">数据链接</a>
<iframe src="https://example.com"></iframe>
<style>body { display: none }</style>

[正常链接](https://www.example.com/policy) 和 [邮件](mailto:hr@example.com)
"""


def page_body(html: str) -> str:
    """Return the help page's own content, without the layout's scripts."""
    return html.split('class="col-md-10 col-md-offset-1 help-page">')[1].split(
        "</div>"
    )[0]


def stored_pages(app) -> dict[str, str]:
    with app.app_context():
        return {
            row.slug: row.markdown for row in db.session.scalars(sa.select(HelpPage))
        }


@pytest.mark.parametrize(
    "markdown, expected",
    [
        ("### 一、注册", "<h3>一、注册</h3>"),
        ("1. 第一步\n2. 第二步", "<ol>\n<li>第一步</li>\n<li>第二步</li>\n</ol>"),
        ("- 甲\n- 乙", "<ul>\n<li>甲</li>\n<li>乙</li>\n</ul>"),
        ("**加粗** 和 *斜体*", "<strong>加粗</strong> 和 <em>斜体</em>"),
        (
            "| 科目 | 学时 |\n| --- | ---: |\n| 公需科目 | 10 |",
            '<td align="right">10</td>',
        ),
        (
            "| a | b |\n| - | - |\n| 1 | 2 |",
            '<table class="table table-bordered table-condensed">',
        ),
        (
            "[政策](https://example.com/a)",
            '<a href="https://example.com/a" rel="noopener noreferrer">政策</a>',
        ),
    ],
)
def test_markdown_kept(markdown, expected):
    assert expected in str(help_pages.render_markdown(markdown))


def test_markdown_sanitised():
    html = str(help_pages.render_markdown(HOSTILE_MARKDOWN))

    assert "<script" not in html
    assert 'alert("script")' not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "javascript:" not in html.lower()
    assert "data:text" not in html
    assert "style" not in html
    assert "<iframe" not in html
    assert "<img" not in html
    assert "带样式的段落" in html
    assert 'href="https://www.example.com/policy"' in html
    assert 'href="mailto:hr@example.com"' in html


def test_public_pages_show_defaults(app, employee_client):
    manual = employee_client.get("/pages/manual")
    policy = employee_client.get("/pages/policy")

    assert manual.status_code == 200
    assert "<h2>操作手册</h2>" in manual.get_data(as_text=True)
    assert "<h3>一、注册与登录</h3>" in manual.get_data(as_text=True)
    policy_page = policy.get_data(as_text=True)
    assert "<h2>相关政策</h2>" in policy_page
    assert "<td>公需科目</td>" in policy_page
    assert employee_client.get("/pages/unknown").status_code == 404


def test_seed_is_idempotent(app):
    with app.app_context():
        first = help_pages.seed_help_pages()
        second = help_pages.seed_help_pages()

    assert first == ["manual", "policy"]
    assert second == []
    assert stored_pages(app) == help_pages.DEFAULT_MARKDOWN


def test_admin_edit_shows_on_public_page(app, login_as, employee_client):
    admin = login_as("talent_admin")
    form = admin.get("/admin/help/manual/edit").get_data(as_text=True)
    assert "### 一、注册与登录" in form

    response = admin.post(
        "/admin/help/manual/edit",
        data={
            "title": "平台操作手册",
            "markdown": "### 新的标题\n\n- 第一条\n- 第二条",
        },
    )

    assert response.status_code == 302
    page = employee_client.get("/pages/manual").get_data(as_text=True)
    assert "<h2>平台操作手册</h2>" in page
    assert "<h3>新的标题</h3>" in page
    assert "<li>第一条</li>" in page
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry)).one()
        assert entry.action == "help_page.save"
        assert entry.target_id == "manual"


def test_stored_page_sanitised(app, login_as, employee_client):
    admin = login_as("superadmin")
    admin.post(
        "/admin/help/policy/edit",
        data={"title": "相关政策", "markdown": HOSTILE_MARKDOWN},
    )

    body = page_body(employee_client.get("/pages/policy").get_data(as_text=True))

    assert "<script" not in body
    assert "onerror" not in body
    assert "javascript:" not in body.lower()
    assert "style" not in body
    assert "<h3>标题</h3>" in body
    assert stored_pages(app)["policy"] == HOSTILE_MARKDOWN


def test_preview_does_not_save(app, login_as):
    admin = login_as("talent_admin")

    response = admin.post(
        "/admin/help/manual/edit",
        data={
            "title": "操作手册",
            "markdown": "## 预览<script>x()</script>",
            "preview": "1",
        },
    )

    page = response.get_data(as_text=True)
    preview = page.split('id="preview">')[1].split("</div>")[0]
    assert "<h2>预览</h2>" in preview
    assert "<script" not in preview
    assert stored_pages(app) == {}


def test_empty_title_rejected(app, login_as):
    admin = login_as("talent_admin")

    response = admin.post(
        "/admin/help/manual/edit", data={"title": " ", "markdown": "x"}
    )

    assert response.status_code == 200
    assert "此项为必填项" in response.get_data(as_text=True)
    assert stored_pages(app) == {}


def test_help_page_edit_access(app, login_as):
    employee = login_as(DEMO_EMPLOYEE_ID)

    assert employee.get("/pages/manual").status_code == 200
    assert employee.get("/admin/help/manual/edit").status_code == 403
    posted = employee.post(
        "/admin/help/manual/edit", data={"title": "x", "markdown": "x"}
    )
    assert posted.status_code == 403
    assert login_as("fushun_reviewer").get("/admin/help/").status_code == 403
    assert login_as("talent_admin").get("/admin/help/unknown/edit").status_code == 404
    assert stored_pages(app) == {}
