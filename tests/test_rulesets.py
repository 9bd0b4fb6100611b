"""规则集管理: stored versions, the editing form, publishing and what it changes."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from app import ruleset_store
from app.demo import DEMO_EMPLOYEE_ID, DEMO_PASSWORD
from app.extensions import db
from app.models import AuditEntry, RuleSetVersion
from tests.test_submission import (
    REQUIRED_YEARS,
    THIS_YEAR,
    add_on,
    applications,
    submit_compliant,
)

FACE = "categories[face_to_face_training]"


def seed(app) -> None:
    with app.app_context():
        ruleset_store.seed_default_rulesets()


def versions(app) -> list[tuple[str, str, int]]:
    """Return (label, status, number) of every stored version, oldest id first."""
    with app.app_context():
        rows = db.session.scalars(sa.select(RuleSetVersion).order_by(RuleSetVersion.id))
        return [(row.label, row.status, row.number) for row in rows]


def version_id(app, label: str) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(RuleSetVersion.id).where(RuleSetVersion.label == label)
        )


def digest_of(app, label: str) -> str:
    with app.app_context():
        row = db.session.scalar(
            sa.select(RuleSetVersion).where(RuleSetVersion.label == label)
        )
        return ruleset_store.data_digest(row.data)


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id))
        )


def save_form(client, app, label: str, fields: dict, digest: str = ""):
    """Post the structured form of version `label` with some fields changed."""
    return client.post(
        f"/admin/rulesets/{version_id(app, label)}/edit",
        data={"draft_digest": digest, "note": "测试修改", **fields},
    )


def publish(client, app, label: str = "2024.draft"):
    return client.post(
        f"/admin/rulesets/{version_id(app, label)}/publish",
        data={"draft_digest": digest_of(app, label)},
    )


def publish_six_hours_a_day(client, app):
    """Change 面授培训 from 8 to 6 hours a day and publish it as 2024.2."""
    saved = save_form(
        client,
        app,
        "2024.1",
        {
            f"{FACE}.formula": "days * 6",
            f"{FACE}.working": "{days}天 × 6学时/天 = {result}学时",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    published = publish(client, app)
    assert published.status_code == 302, published.get_data(as_text=True)[:2000]


def test_seed_is_idempotent(app):
    seed(app)
    seed(app)

    assert versions(app) == [("2024.1", "published", 1)]
    with app.app_context():
        ruleset = ruleset_store.current_ruleset(THIS_YEAR)
        assert ruleset.version == "2024.1"
    assert audit_actions(app) == ["ruleset.import"]


def test_empty_table_reads_file(app):
    with app.app_context():
        ruleset = ruleset_store.current_ruleset(THIS_YEAR)
        by_label = ruleset_store.ruleset_by_label("2024.1")

    assert versions(app) == []
    assert ruleset.version == "2024.1"
    assert by_label.version == "2024.1"


def test_current_picks_newest_year_not_after(app, login_as):
    seed(app)
    admin = login_as("talent_admin")
    admin.post("/admin/rulesets/new", data={"policy_year": "2026"})
    publish(admin, app, "2026.draft")

    with app.app_context():
        assert ruleset_store.current_ruleset(2025).version == "2024.1"
        assert ruleset_store.current_ruleset(2026).version == "2026.1"
        assert ruleset_store.current_ruleset(2030).version == "2026.1"
        assert ruleset_store.current_ruleset().version == "2026.1"
        with pytest.raises(LookupError):
            ruleset_store.current_ruleset(2023)


ADMIN_PAGES = ["/admin/rulesets/", "/admin/windows/", "/admin/help/"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
@pytest.mark.parametrize(
    "username, status",
    [
        ("superadmin", 200),
        ("talent_admin", 200),
        (DEMO_EMPLOYEE_ID, 403),
        ("fushun_reviewer", 403),
        ("liaoning_reviewer", 403),
    ],
)
def test_admin_page_access(app, login_as, url, username, status):
    assert login_as(username).get(url).status_code == status


def test_employee_cannot_publish(app, login_as):
    seed(app)
    admin = login_as("talent_admin")
    save_form(admin, app, "2024.1", {f"{FACE}.formula": "days * 6"})
    employee = login_as(DEMO_EMPLOYEE_ID)

    edit = save_form(employee, app, "2024.draft", {f"{FACE}.formula": "days * 9"})
    published = employee.post(
        f"/admin/rulesets/{version_id(app, '2024.draft')}/publish"
    )

    assert edit.status_code == 403
    assert published.status_code == 403
    assert [v[0] for v in versions(app)] == ["2024.1", "2024.draft"]


def test_menu_lists_admin_screens(app, login_as):
    page = login_as("talent_admin").get("/").get_data(as_text=True)

    for label in ("系统管理", "规则集管理", "申报时间", "帮助页面"):
        assert label in page


def test_list_offers_import_when_empty(app, login_as):
    admin = login_as("talent_admin")
    page = admin.get("/admin/rulesets/").get_data(as_text=True)
    assert "导入内置规则集" in page

    response = admin.post("/admin/rulesets/import")

    assert response.status_code == 302
    assert versions(app) == [("2024.1", "published", 1)]
    page = admin.get("/admin/rulesets/").get_data(as_text=True)
    assert 'data-version="2024.1"' in page


def test_edit_form_is_structured(app, login_as):
    seed(app)
    page = (
        login_as("talent_admin")
        .get(f"/admin/rulesets/{version_id(app, '2024.1')}/edit")
        .get_data(as_text=True)
    )

    for name in (
        "requirements[public].minimum",
        "requirements[total].minimum",
        "display_year_offsets",
        "application_methods[review].required_year_offsets",
        "application_methods[recognition].required_year_offsets",
        f"{FACE}.formula",
        f"{FACE}.inputs[days].max",
        "categories[training_abroad].cap_per_item",
        "categories[training_abroad].cap_per_year",
        "categories[training_abroad].inputs[destination].max_length",
        "categories[academic_conference].inputs[level].options[national].value",
        "categories[research_project].tables.hours_by_rank.national.1",
        "exception_types-0-code",
        "exception_types-count",
        "ruleset_json",
    ):
        assert f'name="{name}"' in page, name
    assert 'value="days * 8"' in page
    assert 'value="-3, -2, -1"' in page


def test_publish_creates_new_version(app, login_as):
    seed(app)
    admin = login_as("talent_admin")

    saved = save_form(admin, app, "2024.1", {f"{FACE}.formula": "days * 6"})

    assert saved.status_code == 302
    assert versions(app) == [("2024.1", "published", 1), ("2024.draft", "draft", 0)]
    with app.app_context():
        # A draft changes no figures until it is published.
        current = ruleset_store.current_ruleset(THIS_YEAR)
        assert current.category("face_to_face_training").formula == "days * 8"

    published = publish(admin, app)

    assert published.status_code == 302
    assert versions(app) == [("2024.1", "published", 1), ("2024.2", "published", 2)]
    with app.app_context():
        current = ruleset_store.current_ruleset(THIS_YEAR)
        assert current.version == "2024.2"
        assert current.category("face_to_face_training").formula == "days * 6"
        old = ruleset_store.ruleset_by_label("2024.1")
        assert old.category("face_to_face_training").formula == "days * 8"
    assert audit_actions(app) == [
        "ruleset.import",
        "ruleset.save_draft",
        "ruleset.publish",
    ]
    page = admin.get("/admin/rulesets/").get_data(as_text=True)
    assert '<span class="current-label">2024.2</span>' in page


def test_second_save_updates_draft(app, login_as):
    seed(app)
    admin = login_as("talent_admin")
    save_form(admin, app, "2024.1", {f"{FACE}.formula": "days * 6"})

    again = save_form(
        admin,
        app,
        "2024.draft",
        {f"{FACE}.formula": "days * 7"},
        digest_of(app, "2024.draft"),
    )

    assert again.status_code == 302
    assert versions(app) == [("2024.1", "published", 1), ("2024.draft", "draft", 0)]
    with app.app_context():
        draft = ruleset_store.draft_of(2024)
        assert draft.data["categories"][2]["formula"] == "days * 7"


def test_stale_draft_save_rejected(app, login_as):
    seed(app)
    first = login_as("talent_admin")
    second = login_as("superadmin")
    save_form(first, app, "2024.1", {f"{FACE}.formula": "days * 6"})

    # The second administrator opened the published version before the draft existed.
    response = save_form(
        second, app, "2024.1", {f"{FACE}.formula": "days * 5"}, digest=""
    )

    assert response.status_code == 200
    assert "已被其他管理员修改" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            ruleset_store.draft_of(2024).data["categories"][2]["formula"] == "days * 6"
        )


def test_publish_rejects_changed_draft(app, login_as):
    seed(app)
    admin = login_as("talent_admin")
    save_form(admin, app, "2024.1", {f"{FACE}.formula": "days * 6"})

    response = admin.post(
        f"/admin/rulesets/{version_id(app, '2024.draft')}/publish",
        data={"draft_digest": "0" * 64},
    )

    assert response.status_code == 302
    assert [v[0] for v in versions(app)] == ["2024.1", "2024.draft"]


INVALID_CASES = [
    (
        {f"{FACE}.formula": "hours * 8"},
        f"{FACE}.formula",
        "业绩类别“面授培训” › 公式",
        "公式引用了未知的输入“hours”",
    ),
    (
        {"categories[training_abroad].cap_per_item": "-5"},
        "categories[training_abroad].cap_per_item",
        "业绩类别“境外培训” › 单项上限",
        "上限应大于 0",
    ),
    (
        {"requirements[public].minimum": "40"},
        "requirements[total].minimum",
        "年度要求“总学时” › 最低学时",
        "超过总学时的最低学时 90",
    ),
    (
        {f"{FACE}.inputs[days].min": "0"},
        f"{FACE}.inputs[days].min",
        "业绩类别“面授培训” › 输入项“培训天数” › 最小值",
        "数量应大于 0",
    ),
    (
        {"application_methods[review].required_year_offsets": "-5, -1"},
        "application_methods[review].required_year_offsets",
        "申报方式“评审” › 须达标年度",
        "不在展示年度",
    ),
    (
        {
            "exception_types-count": "2",
            "exception_types-0-code": "Bad Code",
            "exception_types-0-label": "错误代码",
        },
        "exception_types[Bad Code].code",
        "破格类型“错误代码” › 代码",
        "应由小写英文字母",
    ),
]


@pytest.mark.parametrize("fields, path, place, message", INVALID_CASES)
def test_invalid_ruleset_not_published(app, login_as, fields, path, place, message):
    seed(app)
    admin = login_as("talent_admin")
    saved = save_form(admin, app, "2024.1", fields)
    assert saved.status_code == 302
    assert "需要修正" in admin.get(saved.headers["Location"]).get_data(as_text=True)

    response = publish(admin, app)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "未发布" in page
    assert f"{place}（{path}）：" in page
    assert message in page
    assert [v[0] for v in versions(app)] == ["2024.1", "2024.draft"]
    assert "ruleset.publish" not in audit_actions(app)


def test_non_number_not_saved(app, login_as):
    seed(app)
    admin = login_as("talent_admin")

    response = save_form(admin, app, "2024.1", {"requirements[total].minimum": "九十"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "未保存" in page
    assert "应为数字" in page
    assert 'value="九十"' in page
    assert versions(app) == [("2024.1", "published", 1)]


def test_exception_types_added_and_removed(app, login_as):
    seed(app)
    admin = login_as("talent_admin")
    with app.app_context():
        codes = [
            t.code for t in ruleset_store.current_ruleset(THIS_YEAR).exception_types
        ]
    fields = {"exception_types-count": str(len(codes) + 1)}
    for index, code in enumerate(codes):
        fields[f"exception_types-{index}-code"] = code
        fields[f"exception_types-{index}-label"] = f"标签{index}"
    fields[f"exception_types-{codes.index('other')}-delete"] = "1"
    fields[f"exception_types-{len(codes)}-code"] = "military_service"
    fields[f"exception_types-{len(codes)}-label"] = "服兵役"

    save_form(admin, app, "2024.1", fields)
    publish(admin, app)

    with app.app_context():
        types = ruleset_store.current_ruleset(THIS_YEAR).exception_types
    assert [t.code for t in types] == [c for c in codes if c != "other"] + [
        "military_service"
    ]
    assert types[-1].label == "服兵役"
    assert types[0].label == "标签0"


def test_limits_and_offsets_saved(app, login_as):
    seed(app)
    admin = login_as("talent_admin")

    save_form(
        admin,
        app,
        "2024.1",
        {
            "requirements[total].minimum": "96",
            "application_methods[recognition].required_year_offsets": "-2，-1",
            f"{FACE}.inputs[days].max": "30",
            "categories[training_abroad].cap_per_item": "",
            "categories[training_abroad].cap_per_year": "60",
            "categories[research_project].tables.hours_by_rank.national.1": "70",
        },
    )
    publish(admin, app)

    with app.app_context():
        ruleset = ruleset_store.current_ruleset(THIS_YEAR)
    minimums = {r.code: str(r.minimum) for r in ruleset.requirements}
    assert minimums["total"] == "96"
    assert ruleset.method("recognition").required_year_offsets == (-2, -1)
    assert str(ruleset.category("face_to_face_training").input("days").maximum) == "30"
    abroad = ruleset.category("training_abroad")
    assert abroad.cap_per_item is None
    assert str(abroad.cap_per_year) == "60"
    table = ruleset.category("research_project").tables["hours_by_rank"]
    assert str(table["national"]["1"]) == "70"


def test_json_editor_saves_draft(app, login_as):
    seed(app)
    admin = login_as("talent_admin")
    with app.app_context():
        data = ruleset_store.current_ruleset(THIS_YEAR).to_dict()
    data["categories"][2]["formula"] = "days * 7"
    url = f"/admin/rulesets/{version_id(app, '2024.1')}/json"

    response = admin.post(
        url, data={"ruleset_json": json.dumps(data, ensure_ascii=False)}
    )

    assert response.status_code == 302
    with app.app_context():
        assert (
            ruleset_store.draft_of(2024).data["categories"][2]["formula"] == "days * 7"
        )


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "JSON 格式错误：第 1 行"),
        ("[]", "规则集应为一个 JSON 对象"),
        ('{"policy_year": 2025}', "政策年度应为 2024"),
        ('{"policy_year": 2024}', "缺少此项"),
    ],
)
def test_json_editor_rejects(app, login_as, text, message):
    seed(app)
    admin = login_as("talent_admin")

    response = admin.post(
        f"/admin/rulesets/{version_id(app, '2024.1')}/json", data={"ruleset_json": text}
    )

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert versions(app) == [("2024.1", "published", 1)]


def test_discard_draft(app, login_as):
    seed(app)
    admin = login_as("talent_admin")
    save_form(admin, app, "2024.1", {f"{FACE}.formula": "days * 6"})

    response = admin.post(
        f"/admin/rulesets/{version_id(app, '2024.draft')}/discard",
        data={"draft_digest": digest_of(app, "2024.draft")},
    )

    assert response.status_code == 302
    assert versions(app) == [("2024.1", "published", 1)]
    assert audit_actions(app)[-1] == "ruleset.discard_draft"


def test_new_year_copies_current(app, login_as):
    seed(app)
    admin = login_as("talent_admin")

    response = admin.post("/admin/rulesets/new", data={"policy_year": "2026"})
    duplicate = admin.post("/admin/rulesets/new", data={"policy_year": "2026"})
    invalid = admin.post("/admin/rulesets/new", data={"policy_year": "26"})

    assert response.status_code == 302
    assert duplicate.status_code == 302
    assert invalid.status_code == 302
    assert versions(app) == [("2024.1", "published", 1), ("2026.draft", "draft", 0)]
    with app.app_context():
        draft = ruleset_store.draft_of(2026)
        assert draft.data["policy_year"] == 2026
        assert draft.data["name"].startswith("2026年度")


def test_published_version_is_cached(app):
    seed(app)
    with app.app_context():
        first = ruleset_store.ruleset_by_label("2024.1")
        second = ruleset_store.current_ruleset(THIS_YEAR)

    assert first is second


def test_newest_not_cached_across_apps(app, make_app, login_as):
    """A version published through another app on the same database is used at once."""
    seed(app)
    with app.app_context():
        assert ruleset_store.current_ruleset(THIS_YEAR).version == "2024.1"

    other = make_app()
    admin = other.test_client()
    admin.post("/login/", data={"username": "talent_admin", "password": DEMO_PASSWORD})
    publish_six_hours_a_day(admin, other)

    with app.app_context():
        assert ruleset_store.current_ruleset(THIS_YEAR).version == "2024.2"


def test_application_keeps_figures_after_change(app, employee_client, login_as):
    seed(app)
    submit_compliant(employee_client)
    [before] = applications(app)
    assert before.ruleset_version == "2024.1"

    publish_six_hours_a_day(login_as("talent_admin"), app)

    [after] = applications(app)
    assert after.ruleset_version == "2024.1"
    assert after.snapshot == before.snapshot
    assert str(after.total_hours) == str(before.total_hours)
    year = str(REQUIRED_YEARS[0])
    assert after.snapshot["years"][year]["totals"]["elective"] == "64"
    detail = (
        login_as("fushun_reviewer").get(f"/review/{after.id}").get_data(as_text=True)
    )
    assert "<dd>2024.1</dd>" in detail
    assert "8天 × 8学时/天 = 64学时" in detail

    # The employee's live table, like any unsubmitted draft, uses the new rate.
    budget = employee_client.get("/budget/").get_data(as_text=True)
    assert "8天 × 6学时/天 = 48学时" in budget
    assert "规则版本 2024.2" in budget


def test_unsubmitted_year_uses_new_rate(app, employee_client, login_as):
    seed(app)
    add_on(employee_client, "face_to_face_training", THIS_YEAR - 1, in_days="3")
    assert "3天 × 8学时/天 = 24学时" in employee_client.get("/budget/").get_data(
        as_text=True
    )

    publish_six_hours_a_day(login_as("talent_admin"), app)

    budget = employee_client.get("/budget/").get_data(as_text=True)
    assert "3天 × 6学时/天 = 18学时" in budget
    assert "规则版本 2024.2" in budget


def test_platform_setup_seeds_once(app):
    from app.models import HelpPage

    runner = app.test_cli_runner()

    first = runner.invoke(args=["platform", "setup", "--no-demo"])
    second = runner.invoke(args=["platform", "setup", "--no-demo"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "已导入规则集 2024.1" in first.output
    assert "已导入帮助页面 操作手册" in first.output
    assert "已导入规则集" not in second.output
    assert "已导入帮助页面" not in second.output
    assert versions(app) == [("2024.1", "published", 1)]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(HelpPage.id))) == 2


def test_editor_forms_need_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    seed(app)
    client = app.test_client()
    login_page = client.get("/login/").get_data(as_text=True)
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', login_page
    ).group(1)
    client.post(
        "/login/",
        data={
            "username": "talent_admin",
            "password": DEMO_PASSWORD,
            "csrf_token": token,
        },
    )
    url = f"/admin/rulesets/{version_id(app, '2024.1')}/edit"
    page = client.get(url).get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    refused = client.post(url, data={f"{FACE}.formula": "days * 6"})
    accepted = client.post(
        url, data={f"{FACE}.formula": "days * 6", "csrf_token": form_token}
    )

    assert refused.status_code == 400
    assert accepted.status_code == 302
    assert [v[0] for v in versions(app)] == ["2024.1", "2024.draft"]


def test_new_year_needs_published_version(app, login_as):
    admin = login_as("talent_admin")

    response = admin.post("/admin/rulesets/new", data={"policy_year": "2026"})

    assert response.status_code == 302
    assert versions(app) == []
    with app.app_context():
        assert ruleset_store.current_ruleset(THIS_YEAR).version == "2024.1"
