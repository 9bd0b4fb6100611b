"""One scenario per role through the real pages, in the order the work happens.

A new employee of 抚顺 registers and submits an exception (破格) application,
the 抚顺 city reviewer returns it and passes others, the employee corrects it
and submits again, the city passes it on, the 辽宁 province reviewer approves
the city's summary certificate and completes the applications, the employee
sees the final result, and the superadmin adds a reviewer and publishes a
rule-set change. The steps share the served database and run in file
order. Once one fails, the later ones are skipped with its name.

Expected figures follow ruleset-2024.json: 公需科目 and 必修专业课 count the
course hours, 面授培训 8 hours a day, a provincial 学术会议 8 plus 6 for a
paper under 2,000 characters, 网络课程 the course hours. 认定 requires the
year before the application year to reach 10 / 20 / 60 (专业科目) / 90.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from e2e_support import (
    assert_flash,
    cell_texts,
    definition,
    hours_row,
    id_number_with_check,
    login,
    navigate,
    write_jpeg,
    write_pdf,
)

pytestmark = pytest.mark.scenario

DEMO_PASSWORD = "Demo@2026ce"
FUSHUN = "国网辽宁电力有限公司抚顺供电公司"
LIAONING = "国网辽宁电力有限公司"
COUNTY = "国网新宾县供电公司"

APPLICATION_YEAR = dt.date.today().year
# 认定 requires only the year before the application year.
REQUIRED_YEAR = APPLICATION_YEAR - 1
DISPLAY_YEARS = [APPLICATION_YEAR - offset for offset in (0, 1, 2, 3)]

EMPLOYEE = {
    "name": "赵思远",
    # 210402 is an area code of 抚顺.
    "id_number": id_number_with_check("21040219900315241"),
    "mobile": "13912345678",
    "password": "Zsy#2026pass",
}
REVIEWER_PASSWORD = "Bx#2026review"
REVIEWER_NEW_PASSWORD = "Bx#2026changed"
BENXI = "国网辽宁电力有限公司本溪供电公司"
RETURN_REASON = "面授培训天数与培训证书不符，请核实后修改"
EXCEPTION_REASON = f"{REQUIRED_YEAR}年5月至10月因病住院治疗，无法参加单位组织的专业培训。"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Upload files with Chinese names: evidence, a photo, stamped scans."""
    folder = tmp_path_factory.mktemp("uploads-to-send")
    return {
        "certificate": write_pdf(folder / "培训证书.pdf", "training certificate"),
        "photo": write_jpeg(folder / "现场照片.jpg"),
        "portrait": write_jpeg(folder / "证件照.jpg", (240, 320)),
        "stamped": write_pdf(folder / "盖章扫描件.pdf", "stamped explanation"),
        "summary": write_pdf(folder / "抚顺认定汇总证明.pdf", "summary certificate"),
    }


def _row_with(page, table: str, text: str):
    return page.locator(f"{table} tbody tr", has_text=text)


def _add_activity(page, watch, tab: str, values: dict[str, str], expected_hours: str) -> None:
    """Open a category tab, add one activity through 新增, and check its hours."""
    navigate(page, f"ul.category-tabs a:text-is('{tab}')")
    navigate(page, "#add-activity")
    assert page.locator(".panel-title").inner_text().strip() == f"{tab} · 新增"
    for name, value in values.items():
        field = page.locator(f"#{name}")
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    navigate(page, "#activity-form button[type=submit]")
    assert_flash(page, "已保存", f"add {tab}")
    row = _row_with(page, "table.activity-table", values["name"])
    assert row.locator("td.hours-cell strong").inner_text() == expected_hours, (
        f"{tab}: the list shows other hours than {expected_hours}"
    )
    watch.check(f"add {tab}")


def _upload_evidence(page, watch, activity: str, scan_type: str, path: Path) -> None:
    row = _row_with(page, "table.activity-table", activity)
    row.locator("select[name=scan_type]").select_option(label=scan_type)
    row.locator("input[type=file]").set_input_files(path)
    navigate(row.locator(".evidence-form button"))
    assert_flash(page, f"已上传 {path.name}", f"upload {path.name}")
    row = _row_with(page, "table.activity-table", activity)
    assert row.locator(".evidence-list a", has_text=path.name).count() == 1, (
        f"the evidence list of {activity} does not show {path.name}"
    )
    assert scan_type in row.locator(".evidence-list").inner_text()
    watch.check(f"upload {path.name}")


def _review_rows(page) -> list[dict[str, str]]:
    """Read the review list's rows by their column headings."""
    headings = [
        text.strip() for text in page.locator("table.review-table thead th").all_inner_texts()
    ]
    rows = []
    for row in page.locator("table.review-table tbody tr[data-application]").all():
        cells = [text.strip() for text in row.locator("> td").all_inner_texts()]
        rows.append(dict(zip(headings, cells)))
    return rows


def _strip_sort_mark(text: str) -> str:
    return text.replace("↑", "").replace("↓", "").strip()


def test_employee_registers_and_submits_exception(open_page, server, shots, files):
    page, watch = open_page()

    # 登录 page, then 立即注册.
    page.goto("/login/")
    assert "专业技术人员继续教育学时折算平台 · 登录" in page.locator(".panel-title").inner_text()
    shots.take(page, "login")
    navigate(page, "#register-link")
    assert page.url.endswith("/register/")
    assert page.locator(".panel-title").inner_text().strip() == "立即注册"
    watch.check("open 立即注册")

    page.fill("#name", EMPLOYEE["name"])
    page.fill("#id_number", EMPLOYEE["id_number"])
    page.fill("#mobile", EMPLOYEE["mobile"])
    page.fill("#password", EMPLOYEE["password"])
    page.fill("#password_confirm", EMPLOYEE["password"] + "x")
    # The cascade loads each level's units after the level above is chosen.
    page.select_option("#region", label="东北区域")
    page.select_option("#province", label=LIAONING)
    page.select_option("#city", label=FUSHUN)
    page.select_option("#county", label=COUNTY)
    navigate(page, "#register-form button[type=submit]")
    confirm_error = page.locator("#password_confirm ~ .field-error").inner_text()
    assert confirm_error == "两次输入的密码不一致"
    assert page.locator("#city option:checked").inner_text() == FUSHUN
    shots.take(page, "register-error")
    watch.check("register with a mistyped confirmation")

    page.fill("#password", EMPLOYEE["password"])
    page.fill("#password_confirm", EMPLOYEE["password"])
    navigate(page, "#register-form button[type=submit]")
    assert page.url.endswith("/login/")
    assert_flash(page, "注册成功，请使用身份证号或手机号登录", "register")
    watch.check("register")

    # Log in by the ID-card number; the home page shows the registered unit.
    login(page, server, EMPLOYEE["id_number"], EMPLOYEE["password"])
    assert definition(page, "姓名") == EMPLOYEE["name"]
    assert definition(page, "身份证号") == EMPLOYEE["id_number"]
    assert definition(page, "工作单位") == FUSHUN
    assert definition(page, "县单位(部门)") == COUNTY
    assert page.locator(".photo-placeholder").inner_text() == "未上传照片"
    watch.check("log in by ID-card number")

    page.set_input_files(".photo-form input[name=photo]", files["portrait"])
    navigate(page, ".photo-form button[type=submit]")
    assert_flash(page, "照片已上传", "upload photo")
    photo_width = page.locator("img.profile-photo").evaluate("image => image.naturalWidth")
    assert photo_width > 0, "the uploaded photo does not display"
    watch.check("upload photo")

    # 个人信息 修改 with the unit and title cascades.
    navigate(page, "#edit-profile")
    assert page.locator(".panel-title").inner_text().strip() == "个人信息 修改"
    assert page.locator("#mobile").input_value() == EMPLOYEE["mobile"]
    assert page.locator("#county option:checked").inner_text() == COUNTY
    page.select_option("#current_level", label="中级")
    page.select_option("#current_title", label="工程师")
    page.fill("#title_obtained_on", "2019-07-01")
    page.select_option("#target_year", label=str(APPLICATION_YEAR))
    page.select_option("#target_method", label="认定")
    page.select_option("#target_level", label="副高级")
    page.select_option("#target_series", label="工程系列")
    page.select_option("#target_subspecialty", label="电力工程 / 变电")
    page.select_option("#target_title", label="高级工程师")
    shots.take(page, "profile-edit")
    navigate(page, "#profile-form button[type=submit]")
    assert_flash(page, "个人信息已保存", "save profile")
    assert definition(page, "现职称") == "工程师"
    assert definition(page, "现职称取得时间") == "2019-07-01"
    assert definition(page, "拟申报方式") == "认定"
    assert definition(page, "拟申报分支专业") == "变电"
    assert definition(page, "拟申报职称") == "高级工程师"
    help_text = page.locator("#yearly-hours .help-block").inner_text()
    assert f"认定须达标年度：{REQUIRED_YEAR}" in help_text
    shots.take(page, "home-profile")
    watch.check("save profile")

    # 业绩填报 in four categories of the required year and one of this year.
    navigate(page, "#yearly-hours a:text-is('业绩填报')")
    assert page.locator("h3").inner_text() == "业绩填报"
    y = REQUIRED_YEAR
    _add_activity(
        page,
        watch,
        "公需科目",
        {"name": "专业技术人员公需科目培训", "start_date": f"{y}-03-02", "in_course_hours": "12"},
        "12",
    )
    _upload_evidence(page, watch, "专业技术人员公需科目培训", "证书", files["certificate"])
    _add_activity(
        page,
        watch,
        "必修专业课",
        {"name": "变电运维必修课", "start_date": f"{y}-04-08", "in_course_hours": "24"},
        "24",
    )
    _add_activity(
        page,
        watch,
        "面授培训",
        {
            "name": "智能变电站技术面授培训",
            "start_date": f"{y}-05-12",
            "end_date": f"{y}-05-14",
            "in_days": "3",
        },
        "24",
    )
    _upload_evidence(page, watch, "智能变电站技术面授培训", "其他", files["photo"])
    _add_activity(
        page,
        watch,
        "学术会议",
        {
            "name": "辽宁省电机工程学会年会",
            "start_date": f"{y}-09-20",
            "in_level": "省级",
            "in_paper": "宣读论文（不足2000字）",
        },
        "14",
    )
    _add_activity(
        page,
        watch,
        "网络课程",
        {"name": "电力市场网络课程", "start_date": f"{APPLICATION_YEAR}-01-01", "in_course_hours": "10"},
        "10",
    )
    shots.take(page, "activities")

    # 预算学时: 2025 has 12 + 24 + (24 + 14) = 74, short of the 90 total.
    navigate(page, "a.btn:text-is('预算学时')")
    assert page.locator("h3").inner_text() == "预算学时"
    verdict = page.locator("#budget-verdict").inner_text()
    assert f"学时不满足申报要求：{y}年 总学时 74学时，少于 90学时" in verdict
    assert hours_row(page, APPLICATION_YEAR) == [str(APPLICATION_YEAR), "0", "0", "10", "10", "—"]
    assert hours_row(page, y) == [str(y), "12", "24", "38", "74", "不达标"]
    for year in DISPLAY_YEARS[2:]:
        assert hours_row(page, year) == [str(year), "0", "0", "0", "0", "—"]
    working = page.locator("table.hours-table tr.working").all_inner_texts()
    working_text = "\n".join(working)
    assert "3天 × 8学时/天 = 24学时" in working_text
    assert "省级学术会议 8学时 + 宣读论文（不足2000字） 6学时 = 14学时" in working_text
    note = page.locator(f"table.hours-table tr[data-year='{y}'] + tr.shortfall-note")
    assert note.inner_text().strip() == "总学时 74学时，少于 90学时；"
    shots.take(page, "budget-short")
    watch.check("预算学时 with a short year")

    # 提交 without the exception's fields: each field shows what is missing.
    navigate(page, "a.btn:text-is('提交')")
    assert page.locator("h3").inner_text() == f"提交 {APPLICATION_YEAR}年申报"
    assert f"{y}年 总学时 74学时，少于 90学时" in page.locator("#shortfall").inner_text()
    navigate(page, "#submit-form button[type=submit]")
    errors = {
        name: page.locator(f"#{name} ~ .field-error").inner_text()
        for name in ("exception_type", "exception_reason", "exception_scan")
    }
    assert errors["exception_type"] == (
        f"学时不满足申报要求（{y}年 总学时 74学时，少于 90学时），如有特殊原因请选择破格类型"
    )
    assert errors["exception_reason"] == "请填写情况说明，不少于10个字"
    assert errors["exception_scan"] == "请上传单位盖章版佐证材料（PDF、JPG或PNG）"
    shots.take(page, "submit-refused")
    watch.check("submit a short year without an exception")

    page.select_option("#exception_type", label="病假/产假")
    page.fill("#exception_reason", EXCEPTION_REASON)
    page.set_input_files("#exception_scan", files["stamped"])
    navigate(page, "#submit-form button[type=submit]")
    assert_flash(page, "已按破格提交，等待单位审核", "submit with an exception")
    progress = page.locator("#progress-detail").inner_text()
    assert page.locator("#application-status").inner_text() == "待审核"
    assert f"当前审核单位：{FUSHUN}" in progress
    assert "审核类型：破格" in progress
    assert page.locator("#progress .step.current").inner_text() == "单位审核"
    shots.take(page, "home-submitted")
    watch.check("submit with an exception")

    # The submitted year's records are read-only while under review.
    navigate(page, "#yearly-hours a:text-is('业绩填报')")
    row = _row_with(page, "table.activity-table", "专业技术人员公需科目培训")
    assert row.locator(".label", has_text="已提交").count() == 1
    assert row.locator("a:text-is('修改')").count() == 0
    watch.check("records locked after submission")


def test_city_reviewer_returns_one_and_passes_others(open_page, server, shots, files, artifacts):
    page, watch = open_page()
    login(page, server, "fushun_reviewer", DEMO_PASSWORD)
    page.goto("/review/")
    assert page.locator("h3").inner_text() == "学时折算审核"
    assert page.locator(".review-tabs li.active").inner_text().strip() == "待审核"
    # The demo data (PLAN in app/demo_applications.py) leaves four 抚顺
    # applications waiting here: two undecided, one passed, one failed.
    assert "共 5 条" in page.locator(".pager-bar").inner_text()
    shots.take(page, "review-city")
    watch.check("open the review list")

    # Filters: 提交年度 and 审核类型 破格, then the name.
    page.fill("#filter-form input[name=year]", str(APPLICATION_YEAR))
    page.select_option("#filter-form select[name=type]", label="破格")
    navigate(page, "#filter-form button[type=submit]")
    rows = _review_rows(page)
    assert {row["审核类型"] for row in rows} == {"破格"}
    assert EMPLOYEE["name"] in [_strip_sort_mark(row["姓名"]) for row in rows]
    page.fill("#filter-form input[name=name]", EMPLOYEE["name"])
    navigate(page, "#filter-form button[type=submit]")
    rows = _review_rows(page)
    assert len(rows) == 1, f"the name filter shows {len(rows)} rows"
    row = rows[0]
    masked = EMPLOYEE["id_number"][:6] + "********" + EMPLOYEE["id_number"][-4:]
    assert row["身份证号"] == masked
    assert row["申报年份"] == str(APPLICATION_YEAR)
    assert row["学时"] == "84"
    assert row["是否合格"] == "不合格"
    assert row["是否审核"] == "否"
    assert row["现职称等级"] == "中级"
    year_hours = row["年度"].split("\n")
    assert year_hours == [
        f"{year}年{hours}(学时)"
        for year, hours in zip(sorted(DISPLAY_YEARS), ["0", "0", "74", "10"])
    ]
    assert row["查看情况说明附件"] == "查看附件"
    watch.check("filter the review list")

    # The detail page shows the frozen figures, the evidence and the scan.
    navigate(page, f"table.review-table a:text-is('{EMPLOYEE['name']}')")
    assert page.locator("h3").inner_text() == f"申报详情：{EMPLOYEE['name']}（{APPLICATION_YEAR}年）"
    assert page.locator("#full-id").inner_text() == EMPLOYEE["id_number"]
    assert page.locator("#status").inner_text() == f"待审核（{FUSHUN}）"
    assert definition(page, "申报方式") == "认定"
    assert definition(page, "情况说明") == EXCEPTION_REASON
    assert definition(page, "盖章佐证材料") == files["stamped"].name
    figures = cell_texts(page, f"table.hours-table tr[data-year='{REQUIRED_YEAR}']")
    assert figures[:6] == [str(REQUIRED_YEAR), "12", "24", "38", "62", "74"]
    assert "总学时 74学时，少于 90学时" in figures[6]
    activities = page.locator("h4:text-is('继续教育活动') + table").inner_text()
    assert "培训证书.pdf (证书)" in activities
    assert "现场照片.jpg (其他)" in activities
    events = page.locator("#events tbody tr").all_inner_texts()
    assert len(events) == 1
    assert "员工提交" in events[0]
    assert "未提交 → 待审核" in events[0]
    shots.take(page, "review-detail")
    watch.check("open the detail page")

    # 退回 with a reason sends it back to the employee.
    page.fill("#detail-actions input[name=reason]", RETURN_REASON)
    navigate(page, "#detail-actions button:text-is('退回')")
    assert_flash(page, "已退回1条申报", "return")
    assert page.locator("#status").inner_text() == "已退回"
    last_event = page.locator("#events tbody tr").last.inner_text()
    assert "退回" in last_event
    assert RETURN_REASON in last_event
    watch.check("return the application")

    # 是否审核 否 lists the two demo applications not yet decided; pass both.
    page.goto("/review/")
    page.select_option("#filter-form select[name=reviewed]", label="否")
    navigate(page, "#filter-form button[type=submit]")
    rows = _review_rows(page)
    assert len(rows) == 2, f"是否审核=否 shows {len(rows)} rows"
    passed = [_strip_sort_mark(row["姓名"]) for row in rows]
    page.check("table.review-table .select-all")
    navigate(page, ".action-bar button:text-is('合格')")
    assert_flash(page, "已合格2条申报", "pass two")
    assert "没有符合条件的申报数据" in page.locator("table.review-table").inner_text()
    watch.check("pass two applications")

    # 导出 with the 已审核 tab's filters: the rows this unit passed.
    navigate(page, "a:text-is('重置')")
    navigate(page, ".review-tabs a:text-is('已审核')")
    page.select_option("#filter-form select[name=final]", label="暂无")
    navigate(page, "#filter-form button[type=submit]")
    shown = _review_rows(page)
    shown_passed = {_strip_sort_mark(row["姓名"]): row for row in shown if row["审核结果"] == "合格"}
    assert set(passed) <= set(shown_passed)
    assert EMPLOYEE["name"] in [_strip_sort_mark(row["姓名"]) for row in shown]
    watch.expect_download("/review/export")
    with page.expect_download() as download_info:
        page.click("#export-link")
    download = download_info.value
    assert download.suggested_filename == "审核合格人员名单.xlsx"
    saved = artifacts["downloads"] / download.suggested_filename
    download.save_as(saved)
    _check_qualified_workbook(saved, shown_passed)
    watch.check("export the qualified list")

    # 上传认定汇总证明 for this year.
    navigate(page, "#certificate-links a:text-is('上传认定汇总证明')")
    assert page.locator("h3").inner_text() == "上传认定汇总证明"
    page.fill("#upload-year", str(APPLICATION_YEAR))
    page.set_input_files("#upload-file", files["summary"])
    navigate(page, "#upload-form button[type=submit]")
    assert_flash(
        page,
        f"已上传{APPLICATION_YEAR}年认定汇总证明 {files['summary'].name}，等待上级单位审核",
        "upload the summary certificate",
    )
    history = page.locator("#unit-history tbody tr").first
    assert files["summary"].name in history.inner_text()
    assert history.locator(".status").inner_text() == "待审核"
    shots.take(page, "certificate-uploaded")
    watch.check("upload the summary certificate")

    # 提交 with no row ticked is refused; then every decided row goes up.
    page.goto("/review/")
    navigate(page, ".action-bar button:text-is('提交')")
    assert_flash(page, "请先勾选要处理的申报数据", "submit nothing")
    rows = _review_rows(page)
    assert len(rows) == 4
    assert all(row["是否审核"] == "是" for row in rows)
    page.check("table.review-table .select-all")
    navigate(page, ".action-bar button:text-is('提交')")
    assert_flash(page, "已提交4条申报", "submit upward")
    assert "共 0 条" in page.locator(".pager-bar").inner_text()
    shots.take(page, "review-city-submitted")
    watch.check("submit upward")


def _check_qualified_workbook(path: Path, shown: dict[str, dict[str, str]]) -> None:
    """Check the exported 审核合格人员 sheet against the rows the list showed."""
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["审核合格人员"]
    sheet = workbook["审核合格人员"]
    rows = list(sheet.iter_rows(values_only=True))

    years = sorted(DISPLAY_YEARS)
    assert list(rows[0]) == [
        "序号",
        "姓名",
        "身份证号",
        "手机号",
        "单位",
        "申报年份",
        "申报方式",
        "现职称等级",
        "拟申报职称",
        *[f"{year}年学时" for year in years],
        "总学时",
        "审核类型",
        "审核结果",
        "最终结果",
    ]

    data = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert [row["序号"] for row in data] == list(range(1, len(data) + 1))
    assert {row["姓名"] for row in data} == set(shown)
    assert EMPLOYEE["name"] not in {row["姓名"] for row in data}

    for row in data:
        listed = shown[row["姓名"]]
        id_number = row["身份证号"]
        # The full number is written as text, so Excel keeps all 18 digits.
        assert isinstance(id_number, str) and len(id_number) == 18
        assert listed["身份证号"] == id_number[:6] + "********" + id_number[-4:]
        assert isinstance(row["手机号"], str) and re.fullmatch(r"1370000\d{4}", row["手机号"])
        assert row["单位"].startswith(LIAONING)
        assert "抚顺供电公司" in row["单位"]
        assert row["申报年份"] == APPLICATION_YEAR
        hours = [row[f"{year}年学时"] for year in years]
        assert all(isinstance(value, (int, float)) for value in hours), hours
        assert row["总学时"] == sum(hours)
        assert str(int(row["总学时"])) == listed["学时"]
        assert row["审核类型"] == listed["审核类型"]
        assert row["审核结果"] == "合格"
        assert row["最终结果"] in (None, "")

    id_cells = [sheet.cell(row=number, column=3) for number in range(2, len(rows) + 1)]
    assert all(cell.data_type == "s" for cell in id_cells)


def test_employee_edits_returned_and_resubmits(open_page, server, shots):
    page, watch = open_page()

    # Log in by the mobile number this time; the home page names the reason.
    login(page, server, EMPLOYEE["mobile"], EMPLOYEE["password"])
    assert page.locator("#application-status").inner_text() == "已退回"
    assert RETURN_REASON in page.locator("#return-reason").inner_text()
    assert page.locator("#progress .step.current").inner_text() == "申报阶段"
    shots.take(page, "home-returned")
    watch.check("log in by mobile and see the return")

    # 修改 the face-to-face training: first more days than its dates span.
    navigate(page, "#yearly-hours a:text-is('业绩填报')")
    navigate(page, "ul.category-tabs a:text-is('面授培训')")
    row = _row_with(page, "table.activity-table", "智能变电站技术面授培训")
    navigate(row.locator("a:text-is('修改')"))
    assert page.locator(".panel-title").inner_text().strip() == "面授培训 · 修改"
    assert page.locator("#in_days").input_value() == "3"
    page.fill("#end_date", f"{REQUIRED_YEAR}-05-16")
    page.fill("#in_days", "6")
    navigate(page, "#activity-form button[type=submit]")
    days_error = page.locator("#in_days ~ .field-error").inner_text()
    assert days_error == "天数不能超过开始日期至结束日期的5天"
    watch.check("edit with too many days")

    page.fill("#in_days", "5")
    navigate(page, "#activity-form button[type=submit]")
    assert_flash(page, "已保存", "edit the training")
    row = _row_with(page, "table.activity-table", "智能变电站技术面授培训")
    assert row.locator("td.hours-cell strong").inner_text() == "40"
    assert row.locator("td.hours-cell .working").inner_text() == "5天 × 8学时/天 = 40学时"
    watch.check("edit the training")

    # 预算学时: 12 + 24 + (40 + 14) = 90 reaches every minimum.
    navigate(page, "a.btn:text-is('预算学时')")
    assert page.locator("#budget-verdict").inner_text() == "须达标年度的学时均满足申报要求，可以提交。"
    assert hours_row(page, REQUIRED_YEAR) == [str(REQUIRED_YEAR), "12", "24", "54", "90", "达标"]
    shots.take(page, "budget-compliant")
    watch.check("预算学时 after the edit")

    navigate(page, "a.btn:text-is('提交')")
    assert page.locator("#submit-form #shortfall").count() == 0
    assert "须达标年度的学时均满足申报要求" in page.locator("#submit-form .alert-success").inner_text()
    navigate(page, "#submit-form button[type=submit]")
    assert_flash(page, "已提交，等待单位审核", "resubmit")
    assert page.locator("#application-status").inner_text() == "待审核"
    assert "审核类型：破格" not in page.locator("#progress-detail").inner_text()
    watch.check("resubmit")


def test_city_reviewer_passes_resubmission(open_page, server, shots):
    page, watch = open_page()
    login(page, server, "fushun_reviewer", DEMO_PASSWORD)
    page.goto("/review/")
    rows = _review_rows(page)
    assert [_strip_sort_mark(row["姓名"]) for row in rows] == [EMPLOYEE["name"]]
    assert rows[0]["审核类型"] == "正常"
    assert rows[0]["学时"] == "100"
    assert rows[0]["是否合格"] == "合格"
    watch.check("see the resubmission")

    # The row's own 合格 button, then 提交 of the ticked row.
    row = _row_with(page, "table.review-table", EMPLOYEE["name"])
    navigate(row.locator(".row-actions button:text-is('合格')"))
    assert_flash(page, "已合格1条申报", "pass the resubmission")
    row = _row_with(page, "table.review-table", EMPLOYEE["name"])
    assert row.locator("td.decision").inner_text() == "合格"
    row.locator("input[name=rows]").check()
    navigate(page, ".action-bar button:text-is('提交')")
    assert_flash(page, "已提交1条申报", "submit the resubmission upward")
    watch.check("pass and submit the resubmission")


def test_province_reviewer_approves_and_completes(open_page, server, shots, files):
    page, watch = open_page()
    login(page, server, "liaoning_reviewer", DEMO_PASSWORD)
    page.goto("/review/")

    # 审核认定汇总证明: 抚顺's certificate waits for this unit's decision.
    navigate(page, "#certificate-links a:text-is('审核认定汇总证明')")
    assert page.locator("h3").inner_text() == f"审核认定汇总证明（{APPLICATION_YEAR}年）"
    fushun = page.locator("#subordinate-certificates tr[data-unit='NE-LN-FS']")
    assert fushun.locator(".status").inner_text() == "待审核"
    assert files["summary"].name in fushun.inner_text()
    shots.take(page, "certificate-review")
    navigate(fushun.locator("button:text-is('通过')"))
    assert_flash(page, f"已通过{FUSHUN}的认定汇总证明", "approve the certificate")
    fushun = page.locator("#subordinate-certificates tr[data-unit='NE-LN-FS']")
    assert fushun.locator(".status").inner_text() == "已通过"
    watch.check("approve the certificate")

    # 按公司查询 抚顺 and 是否审核 否: the five sent up today and one demo row.
    page.goto("/review/")
    page.select_option("#filter-form select[name=unit]", label=FUSHUN)
    page.select_option("#filter-form select[name=reviewed]", label="否")
    navigate(page, "#filter-form button[type=submit]")
    rows = _review_rows(page)
    names = [_strip_sort_mark(row["姓名"]) for row in rows]
    assert EMPLOYEE["name"] in names
    assert len(rows) == 6, f"抚顺's undecided rows at the province: {names}"
    shots.take(page, "review-province")
    watch.check("filter by unit at the province")

    # 不合格 of one demo row through the reason prompt, then 合格 of the rest.
    failed = next(name for name in names if name != EMPLOYEE["name"])
    _row_with(page, "table.review-table", failed).locator("input[name=rows]").check()
    watch.prompt_answer = "继续教育证明材料不清晰"
    navigate(page, ".action-bar button:text-is('不合格')")
    assert watch.dialogs[-1] == "prompt: 请填写不合格的原因"
    assert_flash(page, "已不合格1条申报", "fail one with a reason")
    page.check("table.review-table .select-all")
    navigate(page, ".action-bar button:text-is('合格')")
    assert_flash(page, "已合格5条申报", "pass the rest")
    watch.check("decide at the province")

    # 提交 at the province fixes the final result of every decided row.
    page.select_option("#filter-form select[name=reviewed]", label="请选择")
    navigate(page, "#filter-form button[type=submit]")
    rows = _review_rows(page)
    assert all(row["是否审核"] == "是" for row in rows), rows
    count = len(rows)
    page.check("table.review-table .select-all")
    navigate(page, ".action-bar button:text-is('提交')")
    assert_flash(page, f"已提交{count}条申报", "complete at the province")
    navigate(page, ".review-tabs a:text-is('已审核')")
    page.fill("#filter-form input[name=name]", EMPLOYEE["name"])
    navigate(page, "#filter-form button[type=submit]")
    [row] = _review_rows(page)
    assert row["审核结果"] == "合格"
    navigate(page, f"table.review-table a:text-is('{EMPLOYEE['name']}')")
    assert page.locator("#status").inner_text() == "审核完成"
    assert definition(page, "最终结果") == "合格"
    assert definition(page, "规则版本") == "2024.1"
    shots.take(page, "review-completed")
    watch.check("complete the applications")


def test_employee_sees_final_result(open_page, server, shots):
    page, watch = open_page()
    login(page, server, EMPLOYEE["id_number"], EMPLOYEE["password"])
    detail = page.locator("#progress-detail").inner_text()
    assert page.locator("#application-status").inner_text() == "审核完成"
    assert "地市级单位审核结果：合格" in detail
    assert "省公司级单位审核结果：合格" in detail
    assert page.locator("#final-result").inner_text() == "最终结果：合格"
    assert page.locator("#progress .step.current").inner_text() == "查看结果"
    shots.take(page, "home-final")
    watch.check("see the final result")


def _choose_in_select2(page, select_id: str, text: str) -> None:
    """Pick an option of a select2 box as a person does: open it, type, click."""
    page.locator(f"#{select_id} + .select2-container").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    option = page.locator("li.select2-results__option", has_text=re.compile(rf"^{re.escape(text)}$"))
    option.click()
    chosen = page.eval_on_selector(
        f"#{select_id}", "select => [...select.selectedOptions].map(option => option.text)"
    )
    assert chosen == [text], f"select2 #{select_id} holds {chosen} instead of {text}"


def test_superadmin_adds_reviewer_and_publishes_rules(open_page, server, shots):
    page, watch = open_page()
    login(page, server, "superadmin", DEMO_PASSWORD)

    # 用户列表 → 新增: a city reviewer of 本溪, with an initial password.
    page.goto("/users/list/")
    assert page.locator("h4.panel-title").first.inner_text().strip() == "用户列表"
    navigate(page, "a[href='/users/add']")
    assert page.locator("h4.panel-title").first.inner_text().strip() == "新增用户"
    page.fill("#first_name", "本溪审核员")
    page.fill("#username", "benxi_reviewer")
    _choose_in_select2(page, "roles", "地市级审核员")
    _choose_in_select2(page, "unit", BENXI)
    page.fill("#password", REVIEWER_PASSWORD)
    page.fill("#conf_password", REVIEWER_PASSWORD)
    shots.take(page, "user-add")
    navigate(page, "form#model_form button[type=submit]")
    assert_flash(page, "已新增", "add a reviewer")
    # The list pages by id, so the new account is found with the username filter.
    page.goto("/users/list/?_flt_0_username=benxi_reviewer")
    row = _row_with(page, "table.table-hover", "benxi_reviewer")
    cells = [text.strip() for text in row.locator("> td").all_inner_texts()]
    assert cells[2:] == ["本溪审核员", "benxi_reviewer", BENXI, "地市级审核员", "启用"], cells
    shots.take(page, "users-list")
    watch.check("add a reviewer")

    # The new reviewer must replace the initial password at the first login.
    reviewer_page, reviewer_watch = open_page()
    login(reviewer_page, server, "benxi_reviewer", REVIEWER_PASSWORD)
    assert "/resetmypassword/form" in reviewer_page.url
    assert_flash(
        reviewer_page, "您的密码由管理员设置，请先修改密码，再继续使用平台。", "forced change"
    )
    reviewer_page.fill("#password", REVIEWER_NEW_PASSWORD)
    reviewer_page.fill("#conf_password", REVIEWER_NEW_PASSWORD)
    navigate(reviewer_page, "form button[type=submit]")
    assert_flash(reviewer_page, "密码已修改。", "change the initial password")
    reviewer_page.goto("/review/")
    assert reviewer_page.locator("h3").inner_text() == "学时折算审核"
    assert "共 0 条" in reviewer_page.locator(".pager-bar").inner_text()
    reviewer_watch.check("first login of the new reviewer")

    # 规则集管理: 面授培训 becomes 6 hours a day, saved as a draft, then published.
    page.goto("/admin/rulesets/")
    panel = page.locator(".panel[data-policy-year='2024']")
    assert panel.locator(".current-label").inner_text() == "2024.1"
    navigate(panel.locator("a:text-is('基于此版本修改')"))
    prefix = "categories[face_to_face_training]"
    page.fill(f"input[name='{prefix}.formula']", "days * 6")
    page.fill(f"input[name='{prefix}.working']", "{days}天 × 6学时/天 = {result}学时")
    page.fill(f"input[name='{prefix}.description']", "每天计6学时，半天计3学时（默认值）。")
    page.fill("#note", "面授培训改为每天6学时")
    shots.take(page, "ruleset-edit")
    navigate(page, "#save-button")
    assert_flash(page, "草稿已保存，检查无误后可以发布", "save the draft")
    assert "2024.draft" in page.locator("h3").inner_text()
    navigate(page, "#publish-button")
    assert watch.dialogs[-1] == "confirm: 发布后未提交的申报将按新版本计算，确定发布吗？"
    assert_flash(page, "已发布 2024.2，此后未提交的申报按新版本计算", "publish")
    panel = page.locator(".panel[data-policy-year='2024']")
    assert panel.locator(".current-label").inner_text() == "2024.2"
    published = panel.locator("tr[data-version='2024.2']")
    assert published.locator(".status").inner_text() == "已发布"
    assert "面授培训改为每天6学时" in published.inner_text()
    assert panel.locator("tr[data-version='2024.draft']").count() == 0
    shots.take(page, "rulesets-published")
    watch.check("publish the rule-set change")

    # The employee's table now uses 2024.2: 5 days × 6 = 30 instead of 40.
    employee_page, employee_watch = open_page()
    login(employee_page, server, EMPLOYEE["mobile"], EMPLOYEE["password"])
    figures = hours_row(employee_page, REQUIRED_YEAR)
    assert figures == [str(REQUIRED_YEAR), "12", "24", "44", "80", "不达标"]
    assert "规则版本 2024.2" in employee_page.locator("#yearly-hours .help-block").inner_text()
    assert employee_page.locator("#final-result").inner_text() == "最终结果：合格"
    employee_watch.check("the employee's table under the new version")
