"""系统管理: the organisation tree and the title catalogue on screen.

Every test drives the real app through the test client, as the superadmin or
the talent-centre administrator, and reads the database afterwards.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.demo import DEMO_EMPLOYEE_ID
from app.extensions import db
from app.glossary import RoleName
from app.models import (
    Account,
    AuditEntry,
    Profile,
    Subspecialty,
    Title,
    TitleLevel,
    TitleSeries,
    Unit,
)
from tests.conftest import id_number_with_check
from tests.test_submission import applications, copy_demo_profile, submit_compliant

ALLOWED = ["superadmin", "talent_admin"]
WITHOUT_ACCESS = ["fushun_reviewer", "liaoning_reviewer", DEMO_EMPLOYEE_ID]


def unit(app, code: str) -> Unit:
    with app.app_context():
        row = db.session.scalar(sa.select(Unit).where(Unit.code == code))
        assert row is not None, code
        db.session.expunge(row)
        return row


def units_below(app, path: str) -> list[Unit]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Unit).where(Unit.path.startswith(path)).order_by(Unit.code)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id))
        )


def get_one(app, model, **values):
    with app.app_context():
        row = db.session.scalar(sa.select(model).filter_by(**values))
        if row is not None:
            db.session.expunge(row)
        return row


def page_text(response) -> str:
    return response.get_data(as_text=True)


def add_unit(client, parent_id, code, name, level, kind):
    return client.post(
        "/catalogue/units/add",
        data={
            "parent_id": str(parent_id or ""),
            "code": code,
            "name": name,
            "level": level,
            "kind": kind,
            "sort_order": "3",
        },
    )


# Access


def access_urls(app) -> list[str]:
    fushun = unit(app, "NE-LN-FS").id
    xinbin = unit(app, "NE-LN-FS-XB").id
    return [
        "/catalogue/units/list/",
        "/catalogue/units/add",
        f"/catalogue/units/show/{fushun}",
        f"/catalogue/units/edit/{fushun}",
        f"/catalogue/units/move/{xinbin}",
        "/catalogue/title-levels/list/",
        "/catalogue/title-series/list/",
        "/catalogue/subspecialties/list/",
        "/catalogue/titles/list/",
        "/catalogue/titles/add",
        "/catalogue/subspecialties/add",
        "/catalogue/import/",
        "/catalogue/import/template/units",
        "/catalogue/import/template/reviewers",
    ]


@pytest.mark.parametrize("username", ALLOWED)
def test_administrators_open_every_screen(app, login_as, username):
    client = login_as(username)
    for url in access_urls(app):
        assert client.get(url).status_code == 200, url

    home = page_text(client.get("/"))
    for menu in (
        "系统管理",
        "单位管理",
        "职称等级",
        "职称系列",
        "分支专业",
        "职称",
        "批量导入",
    ):
        assert menu in home


@pytest.mark.parametrize("username", WITHOUT_ACCESS)
def test_other_roles_get_403(app, login_as, username):
    client = login_as(username)
    for url in access_urls(app):
        assert client.get(url).status_code == 403, url

    fushun = unit(app, "NE-LN-FS")
    posts = [
        (
            "/catalogue/units/action_post",
            {"action": "deactivate", "rowid": [fushun.id]},
        ),
        (f"/catalogue/units/action/deactivate/{fushun.id}", {}),
        (
            f"/catalogue/units/move/{unit(app, 'NE-LN-FS-XB').id}",
            {"parent_id": unit(app, "NE-LN-SY").id},
        ),
        (f"/catalogue/units/delete/{fushun.id}", {}),
        (f"/catalogue/units/edit/{fushun.id}", {"name": "改名", "sort_order": "1"}),
        (
            "/catalogue/units/add",
            {"code": "NE-X", "name": "新区域", "level": "region", "kind": "region"},
        ),
        ("/catalogue/import/upload/units", {}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, url

    after = unit(app, "NE-LN-FS")
    assert after.active is True
    assert after.name == fushun.name
    home = page_text(client.get("/", follow_redirects=True))
    assert 'href="/catalogue/' not in home


def test_anonymous_goes_to_login(client):
    response = client.get("/catalogue/units/list/")
    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


def test_role_permission_alone_is_not_enough(app, login_as):
    """A reviewer role given a catalogue permission still lacks global scope."""
    with app.app_context():
        security = app.appbuilder.sm
        role = security.find_role(RoleName.CITY_REVIEWER)
        permission = security.find_permission_view_menu("can_list", "UnitView")
        security.add_permission_role(role, permission)

    assert login_as("fushun_reviewer").get("/catalogue/units/list/").status_code == 403


def test_list_filters_by_level_and_name(app, login_as):
    client = login_as("talent_admin")

    by_level = page_text(client.get("/catalogue/units/list/?_flt_0_level=region"))
    assert "东北区域" in by_level
    assert "国网辽宁电力有限公司抚顺供电公司" not in by_level

    by_name = page_text(client.get("/catalogue/units/list/?_flt_2_name=抚顺"))
    assert "国网辽宁电力有限公司抚顺供电公司" in by_name
    assert "国网辽宁电力有限公司沈阳供电公司" not in by_name

    by_code = page_text(client.get("/catalogue/units/list/?_flt_0_code=NE-LN-FS"))
    assert "国网新宾县供电公司" in by_code
    assert "国网康平县供电公司" not in by_code


# Add and rename


def test_add_county_unit(app, login_as):
    client = login_as("talent_admin")
    fushun = unit(app, "NE-LN-FS")

    response = add_unit(
        client,
        fushun.id,
        "ne-ln-fs-dz",
        " 国网东洲区供电公司 ",
        "county",
        "county_company",
    )

    assert response.status_code == 302
    added = unit(app, "NE-LN-FS-DZ")
    assert added.name == "国网东洲区供电公司"
    assert added.parent_id == fushun.id
    assert added.path == f"{fushun.path}{added.id}/"
    assert added.active is True
    assert audit_actions(app)[-1] == "unit.create"


@pytest.mark.parametrize(
    ("parent_code", "code", "name", "level", "kind", "message"),
    [
        (
            "NE-LN",
            "NE-LN-NEW",
            "新县公司",
            "county",
            "county_company",
            "上级单位应为地市级单位",
        ),
        (
            "NE-LN-FS",
            "NE-LN-SY-NEW",
            "新县公司",
            "county",
            "county_company",
            "上级单位编码加一段",
        ),
        (
            "NE-LN-FS",
            "NE-LN-FS-XB",
            "新县公司",
            "county",
            "county_company",
            "单位编码 NE-LN-FS-XB 已存在",
        ),
        (
            "NE-LN-FS",
            "NE-LN-FS-NEW",
            "国网新宾县供电公司",
            "county",
            "county_company",
            "已有名为「国网新宾县供电公司」的单位",
        ),
        (
            "NE-LN-FS",
            "NE-LN-FS-NEW",
            "新单位",
            "county",
            "supply_company",
            "县单位(部门)的类型只能是县供电公司、部门",
        ),
        (
            "NE-LN",
            "NE-LN-HQ2",
            "国网辽宁电力有限公司本部二",
            "city",
            "head_office",
            "已有本部",
        ),
        (
            "NE-LN-FS",
            "NE-LN-FS-NEW!",
            "新单位",
            "county",
            "county_company",
            "只能包含大写字母和数字",
        ),
        (None, "NE-LN-FS-NEW", "新单位", "county", "county_company", "必须有上级单位"),
    ],
)
def test_add_unit_rules(app, login_as, parent_code, code, name, level, kind, message):
    client = login_as("superadmin")
    parent_id = unit(app, parent_code).id if parent_code else None
    before = len(units_below(app, "/"))

    response = add_unit(client, parent_id, code, name, level, kind)

    assert response.status_code == 200
    assert message in page_text(response)
    assert len(units_below(app, "/")) == before


def test_add_unit_under_inactive_parent(app, login_as):
    client = login_as("superadmin")
    fushun = unit(app, "NE-LN-FS")
    client.post(
        "/catalogue/units/action_post",
        data={"action": "deactivate", "rowid": [fushun.id]},
    )

    response = add_unit(
        client,
        fushun.id,
        "NE-LN-FS-DZ",
        "国网东洲区供电公司",
        "county",
        "county_company",
    )

    assert "已停用，不能在其下新增单位" in page_text(response)


def test_rename_unit(app, login_as):
    client = login_as("talent_admin")
    xinbin = unit(app, "NE-LN-FS-XB")

    response = client.post(
        f"/catalogue/units/edit/{xinbin.id}",
        data={"name": "国网新宾满族自治县供电公司", "sort_order": "7"},
    )

    assert response.status_code == 302
    renamed = unit(app, "NE-LN-FS-XB")
    assert renamed.name == "国网新宾满族自治县供电公司"
    assert renamed.sort_order == 7
    assert renamed.path == xinbin.path
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "unit.rename")
        ).one()
        assert entry.details == {
            "old_name": "国网新宾县供电公司",
            "new_name": "国网新宾满族自治县供电公司",
        }


def test_rename_to_sibling_name_rejected(app, login_as):
    client = login_as("talent_admin")
    xinbin = unit(app, "NE-LN-FS-XB")

    response = client.post(
        f"/catalogue/units/edit/{xinbin.id}",
        data={"name": "国网清原县供电公司", "sort_order": "0"},
    )

    assert response.status_code == 200
    assert "已有名为「国网清原县供电公司」的单位" in page_text(response)
    assert unit(app, "NE-LN-FS-XB").name == "国网新宾县供电公司"


# Move


def test_move_rewrites_subtree_paths(app, login_as):
    client = login_as("superadmin")
    fushun = unit(app, "NE-LN-FS")
    jilin = unit(app, "NE-JL")
    old_children = units_below(app, fushun.path)

    response = client.post(
        f"/catalogue/units/move/{fushun.id}", data={"parent_id": jilin.id}
    )

    assert response.status_code == 302
    moved = unit(app, "NE-LN-FS")
    assert moved.parent_id == jilin.id
    assert moved.path == f"{jilin.path}{fushun.id}/"
    new_children = units_below(app, moved.path)
    assert [row.code for row in new_children] == [row.code for row in old_children]
    for row in new_children:
        assert row.path == moved.path + row.path.removeprefix(moved.path)
        assert row.path.startswith(jilin.path)
    assert units_below(app, fushun.path) == []
    assert moved.code == "NE-LN-FS"
    assert audit_actions(app)[-1] == "unit.move"


def employee_of(app, make_account, login_as, unit_code, body, mobile):
    """Create an employee of `unit_code` with the demo profile; return a logged-in client."""
    id_number = id_number_with_check(body)
    account_id = make_account(
        id_number, RoleName.EMPLOYEE, unit_code, id_number=id_number, mobile=mobile
    )
    copy_demo_profile(app, account_id)
    return login_as(id_number)


def test_move_moves_reviewers_scope(app, make_account, login_as):
    submit_compliant(
        employee_of(
            app,
            make_account,
            login_as,
            "NE-LN-FS-XB",
            "21042219900202123",
            "13900000021",
        )
    )
    [application] = applications(app)
    make_account("shenyang_reviewer", RoleName.CITY_REVIEWER, "NE-LN-SY")
    fushun_reviewer = login_as("fushun_reviewer")
    shenyang_reviewer = login_as("shenyang_reviewer")
    assert fushun_reviewer.get(f"/review/{application.id}").status_code == 200
    assert shenyang_reviewer.get(f"/review/{application.id}").status_code == 404

    xinbin = unit(app, "NE-LN-FS-XB")
    shenyang = unit(app, "NE-LN-SY")
    response = login_as("talent_admin").post(
        f"/catalogue/units/move/{xinbin.id}",
        data={"parent_id": shenyang.id},
        follow_redirects=True,
    )

    assert "1 份审核中的申报已转到新的审核单位" in page_text(response)
    assert shenyang_reviewer.get(f"/review/{application.id}").status_code == 200
    assert fushun_reviewer.get(f"/review/{application.id}").status_code == 404
    assert "测试" in page_text(shenyang_reviewer.get("/review/"))
    assert "测试" not in page_text(fushun_reviewer.get("/review/"))
    [rerouted] = applications(app)
    assert rerouted.first_review_unit_id == shenyang.id
    assert rerouted.review_unit_id == shenyang.id
    assert rerouted.version == application.version + 1


def test_move_restarts_decision_at_new_unit(app, make_account, login_as):
    employee = employee_of(
        app, make_account, login_as, "NE-LN-FS-XB", "21042219900202123", "13900000021"
    )
    submit_compliant(employee)
    [application] = applications(app)
    login_as("fushun_reviewer").post(
        "/review/action",
        data={"action": "pass", "rows": [f"{application.id}:{application.version}"]},
    )
    [decided] = applications(app)
    assert decided.status == "reviewed"
    assert decided.city_decision == "pass"

    xinbin = unit(app, "NE-LN-FS-XB")
    shenyang = unit(app, "NE-LN-SY")
    login_as("superadmin").post(
        f"/catalogue/units/move/{xinbin.id}", data={"parent_id": shenyang.id}
    )

    [moved] = applications(app)
    assert moved.review_unit_id == shenyang.id
    assert moved.status == "pending"
    assert moved.city_decision is None
    assert moved.province_decision is None


def test_move_city_moves_province_scope(app, employee_client, make_account, login_as):
    submit_compliant(employee_client)
    [application] = applications(app)
    make_account("jilin_reviewer", RoleName.PROVINCE_REVIEWER, "NE-JL")
    liaoning_reviewer = login_as("liaoning_reviewer")
    jilin_reviewer = login_as("jilin_reviewer")
    assert liaoning_reviewer.get(f"/review/{application.id}").status_code == 200
    assert jilin_reviewer.get(f"/review/{application.id}").status_code == 404

    fushun = unit(app, "NE-LN-FS")
    login_as("superadmin").post(
        f"/catalogue/units/move/{fushun.id}", data={"parent_id": unit(app, "NE-JL").id}
    )

    assert jilin_reviewer.get(f"/review/{application.id}").status_code == 200
    assert liaoning_reviewer.get(f"/review/{application.id}").status_code == 404
    assert (
        login_as("fushun_reviewer").get(f"/review/{application.id}").status_code == 200
    )
    [moved] = applications(app)
    assert moved.first_review_unit_id == fushun.id
    assert moved.top_review_unit_id == unit(app, "NE-JL").id


@pytest.mark.parametrize(
    ("code", "target", "message"),
    [
        ("NE-LN-FS", "NE-LN-FS-XB", "不能把单位移到它自己或它的下级单位之下"),
        ("NE-LN-FS-XB", "NE-LN", "上级单位应为地市级单位"),
        ("NE-LN-FS-HR", "NE-LN-HQ", "已有名为「人力资源部」的单位"),
        ("NE-LN-FS-XB", "NE-LN-FS", "已在「国网辽宁电力有限公司抚顺供电公司」之下"),
        ("NE", "NE-LN", "不能把单位移到它自己或它的下级单位之下"),
        ("NC", "NE-LN", "区域是最高层级"),
        ("NE-LN-HQ", "NE-JL", "已有本部"),
    ],
)
def test_move_rules(app, login_as, code, target, message):
    client = login_as("superadmin")
    before = unit(app, code)

    response = client.post(
        f"/catalogue/units/move/{before.id}", data={"parent_id": unit(app, target).id}
    )

    assert response.status_code == 200
    assert message in page_text(response)
    after = unit(app, code)
    assert after.parent_id == before.parent_id
    assert after.path == before.path


def test_move_page_offers_units_one_level_up(app, login_as):
    xinbin = unit(app, "NE-LN-FS-XB")

    page = page_text(login_as("superadmin").get(f"/catalogue/units/move/{xinbin.id}"))

    assert "国网辽宁电力有限公司沈阳供电公司" in page
    assert f'value="{unit(app, "NE-LN").id}"' not in page
    assert f'value="{unit(app, "NE-LN-FS").id}"' not in page


# Deactivate, reactivate, delete


def test_deactivate_hides_subtree_from_registration(app, employee_client, login_as):
    submit_compliant(employee_client)
    client = login_as("talent_admin")
    fushun = unit(app, "NE-LN-FS")
    liaoning = unit(app, "NE-LN")

    response = client.post(
        "/catalogue/units/action_post",
        data={"action": "deactivate", "rowid": [fushun.id]},
        follow_redirects=True,
    )

    assert "已停用国网辽宁电力有限公司抚顺供电公司及其全部下级单位" in page_text(
        response
    )
    assert all(not row.active for row in units_below(app, fushun.path))
    choices = client.get(f"/api/choices/units?parent={liaoning.id}").get_json()
    assert fushun.id not in [choice["id"] for choice in choices]
    assert client.get(f"/api/choices/units?parent={fushun.id}").get_json() == []
    # History stays: the employee, the application and the unit itself.
    assert len(applications(app)) == 1
    assert get_one(app, Account, username=DEMO_EMPLOYEE_ID).unit_id == fushun.id
    assert "unit.deactivate" in audit_actions(app)


def test_reactivate_restores_unit_alone(app, login_as):
    client = login_as("superadmin")
    fushun = unit(app, "NE-LN-FS")
    xinbin = unit(app, "NE-LN-FS-XB")
    client.post(f"/catalogue/units/action/deactivate/{fushun.id}")

    rejected = client.post(
        f"/catalogue/units/action/reactivate/{xinbin.id}", follow_redirects=True
    )
    assert "请先启用上级单位" in page_text(rejected)
    assert unit(app, "NE-LN-FS-XB").active is False

    both = client.post(
        "/catalogue/units/action_post",
        data={"action": "reactivate", "rowid": [xinbin.id, fushun.id]},
        follow_redirects=True,
    )
    assert "已启用" in page_text(both)
    assert unit(app, "NE-LN-FS").active is True
    assert unit(app, "NE-LN-FS-XB").active is True
    assert unit(app, "NE-LN-FS-QY").active is False


def test_actions_check_name_id_and_method(app, login_as):
    client = login_as("superadmin")
    fushun = unit(app, "NE-LN-FS")

    assert (
        client.post(
            "/catalogue/units/action_post",
            data={"action": "explode", "rowid": [fushun.id]},
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/catalogue/units/action_post", data={"rowid": [fushun.id]}
        ).status_code
        == 400
    )
    assert (
        client.post(f"/catalogue/units/action/explode/{fushun.id}").status_code == 400
    )
    assert (
        client.post(
            "/catalogue/units/action_post",
            data={"action": "deactivate", "rowid": ["999999"]},
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/catalogue/units/action_post",
            data={"action": "deactivate", "rowid": ["abc"]},
        ).status_code
        == 404
    )
    assert client.post("/catalogue/units/action/deactivate/abc").status_code == 404
    assert (
        client.get(f"/catalogue/units/action/deactivate/{fushun.id}").status_code == 405
    )
    assert client.get("/catalogue/units/show/abc").status_code == 404
    assert unit(app, "NE-LN-FS").active is True


def test_delete_rejected_when_in_use(app, employee_client, login_as):
    submit_compliant(employee_client)
    client = login_as("talent_admin")
    fushun = unit(app, "NE-LN-FS")

    response = client.post(
        f"/catalogue/units/delete/{fushun.id}", follow_redirects=True
    )

    page = page_text(response)
    assert "不能删除；如不再使用，请停用" in page
    assert "账号2个" in page
    assert "申报1份" in page
    assert "下级单位5个" in page
    assert unit(app, "NE-LN-FS").active is True
    assert "unit.delete" not in audit_actions(app)


def test_delete_rejected_for_parent_only(app, login_as):
    client = login_as("talent_admin")
    liaoning = unit(app, "NE-LN")
    add_unit(
        client,
        liaoning.id,
        "NE-LN-NEW",
        "国网辽宁电力有限公司新供电公司",
        "city",
        "supply_company",
    )
    city = unit(app, "NE-LN-NEW")
    add_unit(
        client, city.id, "NE-LN-NEW-A", "国网新县供电公司", "county", "county_company"
    )

    response = client.post(f"/catalogue/units/delete/{city.id}", follow_redirects=True)

    assert "已有下级单位1个" in page_text(response)
    assert get_one(app, Unit, code="NE-LN-NEW") is not None


def test_delete_unused_unit(app, login_as):
    client = login_as("talent_admin")
    fushun = unit(app, "NE-LN-FS")
    add_unit(
        client,
        fushun.id,
        "NE-LN-FS-DZ",
        "国网东洲区供电公司",
        "county",
        "county_company",
    )
    added = unit(app, "NE-LN-FS-DZ")
    assert "未被使用的单位可以删除" in page_text(
        client.get(f"/catalogue/units/show/{added.id}")
    )

    response = client.post(f"/catalogue/units/delete/{added.id}")

    assert response.status_code == 302
    assert get_one(app, Unit, code="NE-LN-FS-DZ") is None
    assert audit_actions(app)[-2:] == ["unit.create", "unit.delete"]


def test_show_lists_references_and_move_link(app, login_as):
    fushun = unit(app, "NE-LN-FS")

    page = page_text(login_as("superadmin").get(f"/catalogue/units/show/{fushun.id}"))

    assert "东北区域 / 国网辽宁电力有限公司 / 国网辽宁电力有限公司抚顺供电公司" in page
    assert "账号2个" in page
    assert f"/catalogue/units/move/{fushun.id}" in page


# Title catalogue


def catalogue_ids(app) -> dict[str, int]:
    with app.app_context():

        def one(model, **values):
            return db.session.scalar(sa.select(model.id).filter_by(**values))

        return {
            "political": one(TitleSeries, code="political_work"),
            "engineering": one(TitleSeries, code="engineering"),
            "intermediate": one(TitleLevel, code="intermediate"),
            "senior": one(TitleLevel, code="senior"),
            "political_worker": one(Title, code="political_worker"),
            "security": one(Subspecialty, code="security"),
        }


def test_title_in_use_is_deactivated_not_deleted(app, login_as):
    client = login_as("talent_admin")
    ids = catalogue_ids(app)

    rejected = client.post(
        f"/catalogue/titles/delete/{ids['political_worker']}", follow_redirects=True
    )
    assert "「政工师」已有个人信息1份，不能删除；如不再使用，请停用。" in page_text(
        rejected
    )
    assert get_one(app, Title, code="political_worker") is not None

    client.post(f"/catalogue/titles/action/deactivate/{ids['political_worker']}")
    assert get_one(app, Title, code="political_worker").active is False
    offered = client.get(f"/api/choices/titles?level={ids['intermediate']}").get_json()
    assert ids["political_worker"] not in [item["id"] for item in offered]
    with app.app_context():
        profile = db.session.scalar(sa.select(Profile))
        assert profile.current_title_id == ids["political_worker"]


def test_level_and_series_in_use_rejected(app, employee_client, login_as):
    submit_compliant(employee_client)
    client = login_as("superadmin")
    ids = catalogue_ids(app)

    level = client.post(
        f"/catalogue/title-levels/delete/{ids['intermediate']}", follow_redirects=True
    )
    series = client.post(
        f"/catalogue/title-series/delete/{ids['political']}", follow_redirects=True
    )
    specialty = client.post(
        f"/catalogue/subspecialties/delete/{ids['security']}", follow_redirects=True
    )

    assert "「中级」已有" in page_text(level)
    assert "个人信息1份" in page_text(level)
    assert "申报1份" in page_text(series)
    assert "职称" in page_text(series)
    assert "「保卫工作」已有个人信息1份" in page_text(specialty)
    assert get_one(app, TitleLevel, code="intermediate") is not None
    assert get_one(app, TitleSeries, code="political_work") is not None
    assert get_one(app, Subspecialty, code="security") is not None


def test_add_title_and_delete_unused(app, login_as):
    client = login_as("talent_admin")
    ids = catalogue_ids(app)

    response = client.post(
        "/catalogue/titles/add",
        data={
            "series_id": ids["engineering"],
            "level_id": ids["senior"],
            "code": "Chief_Engineer",
            "name": "首席工程师",
        },
    )

    assert response.status_code == 302
    added = get_one(app, Title, code="chief_engineer")
    assert added.name == "首席工程师"
    assert added.series_id == ids["engineering"]
    assert added.legacy is False
    assert client.post(f"/catalogue/titles/delete/{added.id}").status_code == 302
    assert get_one(app, Title, code="chief_engineer") is None
    assert audit_actions(app)[-2:] == ["title.create", "title.delete"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"level_id": ""}, "请选择职称等级。"),
        ({"series_id": ""}, "请选择职称系列。"),
        ({"name": "高级工程师"}, "工程系列中已有职称「高级工程师」。"),
        ({"code": "engineer"}, "编码 engineer 已存在。"),
        ({"code": "首席"}, "编码只能包含小写字母、数字和下划线"),
        ({"name": ""}, "此项为必填项"),
    ],
)
def test_add_title_rules(app, login_as, fields, message):
    ids = catalogue_ids(app)
    data = {
        "series_id": ids["engineering"],
        "level_id": ids["senior"],
        "code": "chief_engineer",
        "name": "首席工程师",
        **fields,
    }

    response = login_as("superadmin").post("/catalogue/titles/add", data=data)

    assert response.status_code == 200
    assert message in page_text(response)
    assert get_one(app, Title, code="chief_engineer") is None


def test_rename_title_unique_in_series(app, login_as):
    client = login_as("superadmin")
    ids = catalogue_ids(app)

    rejected = client.post(
        f"/catalogue/titles/edit/{ids['political_worker']}", data={"name": "高级政工师"}
    )
    renamed = client.post(
        f"/catalogue/titles/edit/{ids['political_worker']}",
        data={"name": "政工师（中级）"},
    )

    assert "政工系列中已有职称「高级政工师」。" in page_text(rejected)
    assert renamed.status_code == 302
    assert get_one(app, Title, id=ids["political_worker"]).name == "政工师（中级）"
    assert (
        get_one(app, Title, id=ids["political_worker"]).level_id == ids["intermediate"]
    )


def test_level_rank_and_name_unique(app, login_as):
    client = login_as("superadmin")

    duplicate_rank = client.post(
        "/catalogue/title-levels/add",
        data={"code": "expert", "name": "特级", "rank": "4"},
    )
    duplicate_name = client.post(
        "/catalogue/title-levels/add",
        data={"code": "expert", "name": "正高级", "rank": "5"},
    )
    added = client.post(
        "/catalogue/title-levels/add",
        data={"code": "expert", "name": "特级", "rank": "5"},
    )

    assert "排序级别 4 已被「正高级」使用。" in page_text(duplicate_rank)
    assert "职称等级「正高级」已存在。" in page_text(duplicate_name)
    assert added.status_code == 302
    assert get_one(app, TitleLevel, code="expert").rank == 5


def test_series_deactivation_cascades(app, login_as):
    client = login_as("talent_admin")
    ids = catalogue_ids(app)

    response = client.post(
        "/catalogue/title-series/action_post",
        data={"action": "deactivate", "rowid": [ids["political"]]},
        follow_redirects=True,
    )

    assert "已停用政工系列，及其下" in page_text(response)
    with app.app_context():
        titles = db.session.scalars(
            sa.select(Title.active).where(Title.series_id == ids["political"])
        ).all()
        specialties = db.session.scalars(
            sa.select(Subspecialty.active).where(
                Subspecialty.series_id == ids["political"]
            )
        ).all()
    assert titles and not any(titles)
    assert specialties and not any(specialties)
    assert (
        client.get(f"/api/choices/subspecialties?series={ids['political']}").get_json()
        == []
    )

    rejected = client.post(
        f"/catalogue/titles/action/reactivate/{ids['political_worker']}",
        follow_redirects=True,
    )
    assert "所属的「政工系列」已停用，请先启用它。" in page_text(rejected)
    client.post(f"/catalogue/title-series/action/reactivate/{ids['political']}")
    client.post(f"/catalogue/titles/action/reactivate/{ids['political_worker']}")
    assert get_one(app, TitleSeries, id=ids["political"]).active is True
    assert get_one(app, Title, id=ids["political_worker"]).active is True
    assert get_one(app, Title, code="senior_political_worker").active is False


def test_subspecialty_children_and_selectable(app, login_as):
    client = login_as("superadmin")
    ids = catalogue_ids(app)
    power = get_one(app, Subspecialty, code="power_engineering")
    assert power.parent_id is None

    rejected = client.post(
        "/catalogue/subspecialties/add",
        data={
            "series_id": ids["political"],
            "parent_id": ids["security"],
            "code": "guard",
            "name": "门卫",
        },
    )
    assert "已被 1 份个人信息选用，不能再添加下级分支专业" in page_text(rejected)

    other_series = client.post(
        "/catalogue/subspecialties/add",
        data={
            "series_id": ids["political"],
            "parent_id": power.id,
            "code": "grid",
            "name": "电网",
        },
    )
    assert "不属于政工系列" in page_text(other_series)

    top = client.post(
        "/catalogue/subspecialties/add",
        data={
            "series_id": ids["engineering"],
            "parent_id": "",
            "code": "new_energy",
            "name": "新能源",
        },
    )
    assert top.status_code == 302
    parent = get_one(app, Subspecialty, code="new_energy")
    assert parent.selectable is True
    child = client.post(
        "/catalogue/subspecialties/add",
        data={
            "series_id": ids["engineering"],
            "parent_id": parent.id,
            "code": "wind_power",
            "name": "风电",
        },
    )
    assert child.status_code == 302
    assert get_one(app, Subspecialty, code="new_energy").selectable is False
    assert get_one(app, Subspecialty, code="wind_power").selectable is True

    wind = get_one(app, Subspecialty, code="wind_power")
    client.post(f"/catalogue/subspecialties/delete/{wind.id}")
    assert get_one(app, Subspecialty, code="wind_power") is None
    assert get_one(app, Subspecialty, code="new_energy").selectable is True


def test_catalogue_rejects_reviewers(app, login_as):
    ids = catalogue_ids(app)
    client = login_as("fushun_reviewer")

    assert (
        client.post(f"/catalogue/titles/delete/{ids['political_worker']}").status_code
        == 403
    )
    assert (
        client.post(
            "/catalogue/titles/action_post",
            data={"action": "deactivate", "rowid": [ids["political_worker"]]},
        ).status_code
        == 403
    )
    assert get_one(app, Title, id=ids["political_worker"]).active is True
