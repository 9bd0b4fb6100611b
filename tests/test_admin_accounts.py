"""Account management: who reaches the screens, creating reviewers bound to a
unit, resets and forced password changes, disabling, role ranks, the last
superadmin, role edits taking effect, and the audit entries of each change."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import PermissionView, Role

from app import admin_accounts_policy as policy
from app.demo import DEMO_EMPLOYEE_ID, DEMO_PASSWORD
from app.extensions import db
from app.glossary import RoleName
from app.models import Account, AuditEntry, Unit

NEW_PASSWORD = "Xin-Mima2026"
RESET_PASSWORD = "Chongzhi#2026"

FUSHUN = "NE-LN-FS"
SHENYANG = "NE-LN-SY"
LIAONING = "NE-LN"
LIAONING_HEAD_OFFICE = "NE-LN-HQ"
XINBIN_COUNTY = "NE-LN-FS-XB"
NORTHEAST_REGION = "NE"
RESEARCH_INSTITUTE = "NE-LN-DKY"

ALL_USERS = [DEMO_EMPLOYEE_ID, "fushun_reviewer", "liaoning_reviewer", "talent_admin", "superadmin"]
ADMINS = {"talent_admin", "superadmin"}


# --- helpers ---------------------------------------------------------------


def unit_id(app, code):
    with app.app_context():
        return db.session.scalar(sa.select(Unit.id).where(Unit.code == code))


def role_id(app, name):
    with app.app_context():
        return db.session.scalar(sa.select(Role.id).where(Role.name == name))


def account_id(app, username):
    with app.app_context():
        return db.session.scalar(sa.select(Account.id).where(Account.username == username))


def load_account(app, username):
    """Return a detached snapshot of an account: its fields, role names and unit code."""
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == username))
        if account is None:
            return None
        return SimpleNamespace(
            id=account.id,
            first_name=account.first_name,
            active=account.active,
            must_change_password=account.must_change_password,
            roles=sorted(role.name for role in account.roles),
            unit=account.unit.code if account.unit else None,
            email=account.email,
            password=account.password,
        )


def audit_entries(app, action, target_id=None):
    with app.app_context():
        query = sa.select(AuditEntry).where(AuditEntry.action == action)
        if target_id is not None:
            query = query.where(AuditEntry.target_id == str(target_id))
        rows = db.session.scalars(query.order_by(AuditEntry.id)).all()
        return [
            SimpleNamespace(
                actor_id=row.actor_id,
                summary=row.summary,
                unit_id=row.unit_id,
                details=row.details,
            )
            for row in rows
        ]


def reviewer_form(app, username, role, unit_code, *, name="新审核员", password=NEW_PASSWORD):
    data = {
        "first_name": name,
        "username": username,
        "roles": [str(role_id(app, role))],
        "password": password,
        "conf_password": password,
    }
    if unit_code is not None:
        data["unit"] = str(unit_id(app, unit_code))
    return data


def select_options(page, field):
    """Return the option values of the select named `field` on a page."""
    select = re.search(rf'<select[^>]*name="{field}".*?</select>', page, re.S)
    assert select is not None, f"no select named {field}"
    return re.findall(r'<option[^>]*value="([^"]*)"', select.group(0))


def page_text(response):
    return response.get_data(as_text=True)


def change_own_password(client, password=NEW_PASSWORD):
    return client.post(
        "/resetmypassword/form", data={"password": password, "conf_password": password}
    )


# --- access to the screens ---------------------------------------------------


@pytest.mark.parametrize("username", ALL_USERS)
def test_account_screens_by_role(app, login_as, username):
    client = login_as(username)
    expected = 200 if username in ADMINS else 403

    for url in ("/users/list/", "/users/add", f"/users/show/{account_id(app, 'fushun_reviewer')}"):
        assert client.get(url).status_code == expected, url


@pytest.mark.parametrize("username", ALL_USERS)
def test_role_screens_superadmin_only(app, login_as, username):
    client = login_as(username)
    expected = 200 if username == "superadmin" else 403
    reviewer_role = role_id(app, RoleName.CITY_REVIEWER)

    for url in (
        "/roles/list/",
        f"/roles/edit/{reviewer_role}",
        "/roles/add",
        "/permissions/list/",
        "/viewmenus/list/",
        "/permissionviews/list/",
        "/groups/list/",
    ):
        assert client.get(url).status_code == expected, url


def test_talent_centre_cannot_post_role_edit(app, login_as):
    client = login_as("talent_admin")
    talent_role = role_id(app, RoleName.TALENT_CENTRE)
    with app.app_context():
        every_permission = [str(pv_id) for pv_id in db.session.scalars(sa.select(PermissionView.id))]
        before = sorted(pv.id for pv in app.appbuilder.sm.find_role(RoleName.TALENT_CENTRE).permissions)

    response = client.post(
        f"/roles/edit/{talent_role}",
        data={"name": RoleName.TALENT_CENTRE, "permissions": every_permission},
    )

    assert response.status_code == 403
    with app.app_context():
        after = sorted(pv.id for pv in app.appbuilder.sm.find_role(RoleName.TALENT_CENTRE).permissions)
    assert after == before


def test_anonymous_sent_to_login(client):
    for url in ("/users/list/", "/users/add", "/resetpassword/form?pk=1", "/roles/list/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login/" in response.location, url


def test_talent_centre_menu_omits_roles(login_as):
    talent = page_text(login_as("talent_admin").get("/users/list/"))
    superadmin = page_text(login_as("superadmin").get("/users/list/"))

    assert 'href="/users/list/"' in talent
    assert 'href="/roles/list/"' not in talent
    assert 'href="/roles/list/"' in superadmin


def test_list_columns_and_scope(app, login_as):
    talent = page_text(login_as("talent_admin").get("/users/list/?psize_UserDBModelView=100"))
    superadmin = page_text(login_as("superadmin").get("/users/list/?psize_UserDBModelView=100"))

    for text in ("姓名", "用户名", "单位", "角色", "状态", "抚顺审核员", "fushun_reviewer",
                 "国网辽宁电力有限公司抚顺供电公司", RoleName.CITY_REVIEWER, "启用"):
        assert text in talent, text
    # Superadmin accounts are outside the talent centre's scope.
    assert ">superadmin<" not in talent
    assert ">superadmin<" in superadmin
    assert "删除" not in talent
    # Employees' usernames are ID-card numbers, shown masked.
    assert DEMO_EMPLOYEE_ID not in talent
    assert DEMO_EMPLOYEE_ID[:6] + "********" + DEMO_EMPLOYEE_ID[-4:] in talent


def test_talent_centre_cannot_open_superadmin(app, login_as):
    client = login_as("talent_admin")
    superadmin = account_id(app, "superadmin")
    before = load_account(app, "superadmin")

    assert client.get(f"/users/show/{superadmin}").status_code == 404
    assert client.get(f"/users/edit/{superadmin}").status_code == 404
    assert client.get(f"/resetpassword/form?pk={superadmin}").status_code == 404
    response = client.post(
        f"/resetpassword/form?pk={superadmin}",
        data={"password": RESET_PASSWORD, "conf_password": RESET_PASSWORD},
    )

    assert response.status_code == 404
    after = load_account(app, "superadmin")
    assert after.password == before.password
    assert after.must_change_password is False


def test_accounts_cannot_be_deleted(app, login_as):
    client = login_as("superadmin")
    reviewer = account_id(app, "fushun_reviewer")

    assert client.post(f"/users/delete/{reviewer}").status_code == 404
    assert load_account(app, "fushun_reviewer") is not None


# --- creating reviewer accounts ---------------------------------------------------


@pytest.mark.parametrize(
    "role, unit_code",
    [
        (RoleName.CITY_REVIEWER, FUSHUN),
        (RoleName.CITY_REVIEWER, RESEARCH_INSTITUTE),
        (RoleName.PROVINCE_REVIEWER, LIAONING),
        (RoleName.TALENT_CENTRE, None),
    ],
)
def test_talent_centre_creates_account(app, login_as, role, unit_code):
    client = login_as("talent_admin")

    response = client.post("/users/add", data=reviewer_form(app, "new_reviewer", role, unit_code))

    assert response.status_code == 302
    created = load_account(app, "new_reviewer")
    assert created is not None
    assert created.roles == [role]
    assert created.unit == unit_code
    assert created.active is True
    assert created.must_change_password is True
    assert created.email == "new_reviewer@account.invalid"
    assert created.password.startswith("scrypt:")
    entries = audit_entries(app, "account.create", created.id)
    assert len(entries) == 1
    assert entries[0].actor_id == account_id(app, "talent_admin")
    assert "new_reviewer" in entries[0].summary
    assert entries[0].unit_id == (unit_id(app, unit_code) if unit_code else None)


def test_new_reviewer_must_change_password_first(app, login_as):
    login_as("talent_admin").post(
        "/users/add", data=reviewer_form(app, "sy_reviewer", RoleName.CITY_REVIEWER, SHENYANG)
    )
    client = login_as("sy_reviewer", NEW_PASSWORD)

    for url in ("/", "/review/", "/pages/manual"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.endswith("/resetmypassword/form"), url
    form = client.get("/resetmypassword/form")
    assert form.status_code == 200
    assert "请先修改密码" in page_text(form)

    same = change_own_password(client, NEW_PASSWORD)
    assert same.status_code == 200
    assert "新密码不能与当前密码相同" in page_text(same)

    changed = change_own_password(client, "Ling-Yige2026")
    assert changed.status_code == 302
    assert load_account(app, "sy_reviewer").must_change_password is False
    assert client.get("/review/").status_code == 200
    assert len(audit_entries(app, "account.change_password", account_id(app, "sy_reviewer"))) == 1


@pytest.mark.parametrize(
    "role, unit_code, message",
    [
        (RoleName.CITY_REVIEWER, LIAONING, "地市级审核员只能绑定地市级审核单位"),
        (RoleName.CITY_REVIEWER, LIAONING_HEAD_OFFICE, "地市级审核员只能绑定地市级审核单位"),
        (RoleName.CITY_REVIEWER, XINBIN_COUNTY, "地市级审核员只能绑定地市级审核单位"),
        (RoleName.CITY_REVIEWER, None, "地市级审核员必须绑定一个地市级审核单位"),
        (RoleName.PROVINCE_REVIEWER, FUSHUN, "省公司级审核员只能绑定省公司级单位"),
        (RoleName.PROVINCE_REVIEWER, NORTHEAST_REGION, "省公司级审核员只能绑定省公司级单位"),
        (RoleName.PROVINCE_REVIEWER, None, "省公司级审核员必须绑定一个省公司级单位"),
        (RoleName.TALENT_CENTRE, FUSHUN, "不绑定单位"),
    ],
)
def test_wrong_unit_for_role_refused(app, login_as, role, unit_code, message):
    client = login_as("talent_admin")

    response = client.post("/users/add", data=reviewer_form(app, "bad_unit", role, unit_code))

    assert response.status_code == 200
    assert message in page_text(response)
    assert load_account(app, "bad_unit") is None


def test_edit_to_wrong_unit_refused(app, login_as):
    client = login_as("talent_admin")
    reviewer = account_id(app, "fushun_reviewer")

    response = client.post(
        f"/users/edit/{reviewer}",
        data={
            "first_name": "抚顺审核员",
            "roles": [str(role_id(app, RoleName.CITY_REVIEWER))],
            "unit": str(unit_id(app, LIAONING)),
        },
    )

    assert response.status_code == 200
    assert "地市级审核员只能绑定地市级审核单位" in page_text(response)
    assert load_account(app, "fushun_reviewer").unit == FUSHUN
    assert audit_entries(app, "account.update", reviewer) == []


@pytest.mark.parametrize(
    "username",
    ["1abc", "ab", "王五", "has space", "210402199001011233", "13900000000", "a" * 65],
)
def test_invalid_username_refused(app, login_as, username):
    client = login_as("talent_admin")

    response = client.post(
        "/users/add", data=reviewer_form(app, username, RoleName.CITY_REVIEWER, FUSHUN)
    )

    assert response.status_code == 200
    assert "用户名须以英文字母开头" in page_text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Account.id))) == 5


def test_taken_username_refused_in_any_case(app, login_as):
    client = login_as("talent_admin")

    response = client.post(
        "/users/add", data=reviewer_form(app, "Fushun_Reviewer", RoleName.CITY_REVIEWER, FUSHUN)
    )

    assert response.status_code == 200
    assert "该用户名已被使用" in page_text(response)


def test_weak_password_refused_on_add(app, login_as):
    client = login_as("talent_admin")

    for password, message in (("short", "密码太短"), ("Xnew_reviewer1", "用户名")):
        response = client.post(
            "/users/add",
            data=reviewer_form(app, "new_reviewer", RoleName.CITY_REVIEWER, FUSHUN,
                               password=password),
        )
        assert response.status_code == 200, password
        assert message in page_text(response), password
    assert load_account(app, "new_reviewer") is None


def test_employee_accounts_not_created_here(app, login_as):
    client = login_as("superadmin")
    form = reviewer_form(app, "new_employee", RoleName.EMPLOYEE, XINBIN_COUNTY)

    response = client.post("/users/add", data=form)

    assert response.status_code == 200
    assert "立即注册" in page_text(response)
    assert load_account(app, "new_employee") is None


def test_one_role_per_account(app, login_as):
    client = login_as("superadmin")
    form = reviewer_form(app, "two_roles", RoleName.CITY_REVIEWER, FUSHUN)
    form["roles"].append(str(role_id(app, RoleName.PROVINCE_REVIEWER)))

    response = client.post("/users/add", data=form)

    assert response.status_code == 200
    assert "每个账号只能有一个角色" in page_text(response)
    assert load_account(app, "two_roles") is None


# --- role ranks ---------------------------------------------------------------------


def test_talent_centre_cannot_grant_superadmin(app, login_as):
    client = login_as("talent_admin")
    superadmin_role = role_id(app, RoleName.SUPERADMIN)

    offered = select_options(page_text(client.get("/users/add")), "roles")
    assert str(superadmin_role) not in offered
    assert str(role_id(app, RoleName.CITY_REVIEWER)) in offered
    assert str(role_id(app, RoleName.TALENT_CENTRE)) in offered

    response = client.post(
        "/users/add", data=reviewer_form(app, "sneaky_admin", RoleName.SUPERADMIN, None)
    )
    assert response.status_code == 200
    assert load_account(app, "sneaky_admin") is None


@pytest.mark.parametrize("target", ["talent_admin", "fushun_reviewer"])
def test_talent_centre_cannot_promote_to_superadmin(app, login_as, target):
    client = login_as("talent_admin")
    record = account_id(app, target)
    before = load_account(app, target)

    response = client.post(
        f"/users/edit/{record}",
        data={
            "first_name": before.first_name,
            "roles": [str(role_id(app, RoleName.SUPERADMIN))],
        },
    )

    assert response.status_code == 200
    assert "您无权授予该角色" in page_text(response)
    assert load_account(app, target).roles == before.roles


def test_role_validator_checks_rank(app):
    """The validator rejects a higher role even if a form were to offer it."""
    from app.admin_accounts import validate_roles

    with app.test_request_context():
        from flask import g
        from wtforms import ValidationError

        g.user = db.session.scalar(sa.select(Account).where(Account.username == "talent_admin"))
        superadmin_role = db.session.scalar(sa.select(Role).where(Role.name == RoleName.SUPERADMIN))
        form = SimpleNamespace()
        field = SimpleNamespace(data=[superadmin_role])
        with pytest.raises(ValidationError, match="不能授予"):
            validate_roles(form, field)


def test_talent_centre_actions_out_of_scope(app, login_as):
    client = login_as("talent_admin")
    superadmin = account_id(app, "superadmin")
    reviewer = account_id(app, "fushun_reviewer")

    for name in ("disable", "enable", "resetpasswords"):
        single = client.post(f"/users/action/{name}/{superadmin}")
        assert single.status_code == 404, name
    many = client.post(
        "/users/action_post", data={"action": "disable", "rowid": [str(reviewer), str(superadmin)]}
    )

    assert many.status_code == 404
    assert load_account(app, "superadmin").active is True
    assert load_account(app, "fushun_reviewer").active is True
    assert client.post("/users/action/disable/999999").status_code == 404


# --- reset, disable, enable ---------------------------------------------------


def test_reset_password_forces_change(app, login_as):
    reviewer_session = login_as("fushun_reviewer")
    assert reviewer_session.get("/review/").status_code == 200
    admin = login_as("talent_admin")
    reviewer = account_id(app, "fushun_reviewer")

    form = admin.get(f"/resetpassword/form?pk={reviewer}")
    assert form.status_code == 200
    assert "fushun_reviewer" in page_text(form)
    weak = admin.post(f"/resetpassword/form?pk={reviewer}",
                      data={"password": "fushun_reviewerA1", "conf_password": "fushun_reviewerA1"})
    assert weak.status_code == 200
    assert "用户名" in page_text(weak)
    response = admin.post(
        f"/resetpassword/form?pk={reviewer}",
        data={"password": RESET_PASSWORD, "conf_password": RESET_PASSWORD},
    )

    assert response.status_code == 302
    assert response.location.endswith(f"/users/show/{reviewer}")
    assert load_account(app, "fushun_reviewer").must_change_password is True
    entries = audit_entries(app, "account.reset_password", reviewer)
    assert len(entries) == 1
    assert RESET_PASSWORD not in str(entries[0].details) + entries[0].summary
    # The session that logged in with the old password has ended.
    ended = reviewer_session.get("/review/")
    assert ended.status_code == 302
    assert "/login/" in ended.location

    client = login_as("fushun_reviewer", RESET_PASSWORD)
    forced = client.get("/review/")
    assert forced.location.endswith("/resetmypassword/form")
    assert change_own_password(client).status_code == 302
    assert load_account(app, "fushun_reviewer").must_change_password is False
    assert client.get("/review/").status_code == 200


def test_own_password_change_keeps_session(app, login_as):
    client = login_as("talent_admin")

    assert change_own_password(client).status_code == 302

    assert client.get("/users/list/").status_code == 200


def test_forced_change_allows_logout(app, login_as):
    admin = login_as("talent_admin")
    admin.post(
        "/users/add", data=reviewer_form(app, "dl_reviewer", RoleName.CITY_REVIEWER, "NE-LN-DL")
    )
    reviewer = login_as("dl_reviewer", NEW_PASSWORD)

    response = reviewer.get("/logout/")

    assert response.status_code == 302
    assert "/resetmypassword/" not in response.location
    assert "/login/" in reviewer.get("/review/").location


def test_disable_ends_session_and_login(app, login_as):
    reviewer_session = login_as("fushun_reviewer")
    assert reviewer_session.get("/review/").status_code == 200
    admin = login_as("talent_admin")
    reviewer = account_id(app, "fushun_reviewer")

    response = admin.post(f"/users/action/disable/{reviewer}")

    assert response.status_code == 302
    assert load_account(app, "fushun_reviewer").active is False
    ended = reviewer_session.get("/review/")
    assert ended.status_code == 302
    assert "/login/" in ended.location
    refused = app.test_client()
    login = refused.post("/login/", data={"username": "fushun_reviewer", "password": DEMO_PASSWORD})
    assert "/login/" in login.location
    assert refused.get("/review/").status_code == 302
    assert len(audit_entries(app, "account.disable", reviewer)) == 1
    show = page_text(admin.get(f"/users/show/{reviewer}"))
    assert "已禁用" in show
    assert "启用" in show


def test_enable_keeps_old_sessions_ended(app, login_as):
    reviewer_session = login_as("fushun_reviewer")
    admin = login_as("talent_admin")
    reviewer = account_id(app, "fushun_reviewer")
    admin.post(f"/users/action/disable/{reviewer}")

    admin.post(f"/users/action/enable/{reviewer}")

    assert load_account(app, "fushun_reviewer").active is True
    ended = reviewer_session.get("/review/")
    assert ended.status_code == 302
    assert "/login/" in ended.location
    assert login_as("fushun_reviewer").get("/review/").status_code == 200


def test_enable_from_list(app, login_as):
    admin = login_as("talent_admin")
    reviewers = [account_id(app, "fushun_reviewer"), account_id(app, "liaoning_reviewer")]
    admin.post("/users/action_post", data={"action": "disable", "rowid": [str(r) for r in reviewers]})
    assert load_account(app, "liaoning_reviewer").active is False

    response = admin.post(
        "/users/action_post", data={"action": "enable", "rowid": [str(r) for r in reviewers]}
    )

    assert response.status_code == 302
    assert load_account(app, "fushun_reviewer").active is True
    assert load_account(app, "liaoning_reviewer").active is True
    login_as("fushun_reviewer")
    for reviewer in reviewers:
        assert len(audit_entries(app, "account.disable", reviewer)) == 1
        assert len(audit_entries(app, "account.enable", reviewer)) == 1


def test_disabling_own_account_refused(app, login_as):
    client = login_as("talent_admin")

    response = client.post(f"/users/action/disable/{account_id(app, 'talent_admin')}",
                           follow_redirects=True)

    assert "不能禁用当前登录的账号" in page_text(response)
    assert load_account(app, "talent_admin").active is True


def test_edit_records_changes(app, login_as):
    client = login_as("superadmin")
    reviewer = account_id(app, "fushun_reviewer")

    response = client.post(
        f"/users/edit/{reviewer}",
        data={
            "first_name": "沈阳审核员",
            "roles": [str(role_id(app, RoleName.CITY_REVIEWER))],
            "unit": str(unit_id(app, SHENYANG)),
        },
    )

    assert response.status_code == 302
    assert load_account(app, "fushun_reviewer").unit == SHENYANG
    entries = audit_entries(app, "account.update", reviewer)
    assert len(entries) == 1
    changes = entries[0].details["changes"]
    assert changes["first_name"] == ["抚顺审核员", "沈阳审核员"]
    assert changes["unit"] == ["国网辽宁电力有限公司抚顺供电公司", "国网辽宁电力有限公司沈阳供电公司"]
    assert "roles" not in changes


# --- the last superadmin -------------------------------------------------------------


def demote_form(app, name="超级管理员"):
    return {"first_name": name, "roles": [str(role_id(app, RoleName.TALENT_CENTRE))]}


def test_last_superadmin_cannot_be_disabled(app, login_as):
    client = login_as("superadmin")

    response = client.post(f"/users/action/disable/{account_id(app, 'superadmin')}",
                           follow_redirects=True)

    assert "是最后一个启用的超级管理员，不能禁用" in page_text(response)
    assert load_account(app, "superadmin").active is True
    assert audit_entries(app, "account.disable") == []


def test_last_superadmin_cannot_be_demoted(app, login_as, make_account):
    client = login_as("superadmin")
    superadmin = account_id(app, "superadmin")

    response = client.post(f"/users/edit/{superadmin}", data=demote_form(app))

    assert response.status_code == 200
    assert "是最后一个启用的超级管理员，不能取消其超级管理员角色" in page_text(response)
    assert load_account(app, "superadmin").roles == [RoleName.SUPERADMIN]

    # A disabled second superadmin does not count ...
    make_account("root_two", RoleName.SUPERADMIN)
    client.post(f"/users/action/disable/{account_id(app, 'root_two')}")
    assert load_account(app, "root_two").active is False
    refused = client.post(f"/users/edit/{superadmin}", data=demote_form(app))
    assert refused.status_code == 200
    assert load_account(app, "superadmin").roles == [RoleName.SUPERADMIN]

    # ... an active one does.
    client.post(f"/users/action/enable/{account_id(app, 'root_two')}")
    allowed = client.post(f"/users/edit/{superadmin}", data=demote_form(app))
    assert allowed.status_code == 302
    assert load_account(app, "superadmin").roles == [RoleName.TALENT_CENTRE]
    assert len(audit_entries(app, "account.update", superadmin)) == 1


def test_superadmin_disables_another_superadmin(app, login_as, make_account):
    make_account("root_two", RoleName.SUPERADMIN)
    client = login_as("superadmin")

    response = client.post(f"/users/action/disable/{account_id(app, 'root_two')}")

    assert response.status_code == 302
    assert load_account(app, "root_two").active is False


# --- role edits take effect at the next request ------------------------------------


def test_role_screen_edit_takes_effect(app, login_as):
    reviewer = login_as("fushun_reviewer")
    admin = login_as("superadmin")
    role = role_id(app, RoleName.CITY_REVIEWER)
    with app.app_context():
        security = app.appbuilder.sm
        current = [pv.id for pv in security.find_role(RoleName.CITY_REVIEWER).permissions]
        can_list = security.find_permission_view_menu("can_list", "ReviewView").id
    assert reviewer.get("/review/").status_code == 200

    without = [str(pv) for pv in current if pv != can_list]
    response = admin.post(f"/roles/edit/{role}",
                          data={"name": RoleName.CITY_REVIEWER, "permissions": without})
    assert response.status_code == 302
    assert reviewer.get("/review/").status_code == 403

    admin.post(f"/roles/edit/{role}",
               data={"name": RoleName.CITY_REVIEWER, "permissions": [str(pv) for pv in current]})
    assert reviewer.get("/review/").status_code == 200

    entries = audit_entries(app, "role.update", role)
    assert len(entries) == 2
    assert entries[0].details["removed"] == ["can list on ReviewView"]
    assert entries[1].details["added"] == ["can list on ReviewView"]


def test_role_add_and_delete_audited(app, login_as):
    admin = login_as("superadmin")
    with app.app_context():
        security = app.appbuilder.sm
        can_list = security.find_permission_view_menu("can_list", "ReviewView").id

    added = admin.post("/roles/add", data={"name": "只读审核", "permissions": [str(can_list)]})
    created = role_id(app, "只读审核")
    deleted = admin.post(f"/roles/delete/{created}")

    assert added.status_code == 302
    assert created is not None
    assert deleted.status_code == 302
    assert role_id(app, "只读审核") is None
    creation = audit_entries(app, "role.create", created)
    assert len(creation) == 1
    assert creation[0].details["permissions"] == ["can list on ReviewView"]
    assert len(audit_entries(app, "role.delete", created)) == 1


def test_security_manager_edit_takes_effect(app, login_as):
    reviewer = login_as("fushun_reviewer")
    assert reviewer.get("/review/").status_code == 200

    with app.app_context():
        security = app.appbuilder.sm
        role = security.find_role(RoleName.CITY_REVIEWER)
        permission = security.find_permission_view_menu("can_list", "ReviewView")
        security.del_permission_role(role, permission)
    assert reviewer.get("/review/").status_code == 403

    with app.app_context():
        security = app.appbuilder.sm
        role = security.find_role(RoleName.CITY_REVIEWER)
        permission = security.find_permission_view_menu("can_list", "ReviewView")
        security.add_permission_role(role, permission)
    assert reviewer.get("/review/").status_code == 200


# --- the rules as a table ----------------------------------------------------------


def unit(level, kind, active=True, name="单位"):
    return SimpleNamespace(level=level, kind=kind, active=active, name=name)


@pytest.mark.parametrize(
    "role, facts, allowed",
    [
        (RoleName.CITY_REVIEWER, unit("city", "supply_company"), True),
        (RoleName.CITY_REVIEWER, unit("city", "provincial_unit"), True),
        (RoleName.CITY_REVIEWER, unit("city", "head_office"), False),
        (RoleName.CITY_REVIEWER, unit("province", "provincial_company"), False),
        (RoleName.CITY_REVIEWER, unit("county", "county_company"), False),
        (RoleName.CITY_REVIEWER, unit("city", "supply_company", active=False), False),
        (RoleName.CITY_REVIEWER, None, False),
        (RoleName.PROVINCE_REVIEWER, unit("province", "provincial_company"), True),
        (RoleName.PROVINCE_REVIEWER, unit("province", "affiliated_unit"), True),
        (RoleName.PROVINCE_REVIEWER, unit("region", "region"), False),
        (RoleName.PROVINCE_REVIEWER, unit("city", "supply_company"), False),
        (RoleName.PROVINCE_REVIEWER, None, False),
        (RoleName.EMPLOYEE, unit("county", "county_company"), True),
        (RoleName.EMPLOYEE, unit("city", "head_office"), True),
        (RoleName.EMPLOYEE, unit("province", "provincial_company"), False),
        (RoleName.EMPLOYEE, None, False),
        (RoleName.TALENT_CENTRE, None, True),
        (RoleName.TALENT_CENTRE, unit("city", "supply_company"), False),
        (RoleName.SUPERADMIN, None, True),
        ("自定义角色", None, True),
        ("自定义角色", unit("county", "department"), True),
    ],
)
def test_unit_rule_table(role, facts, allowed):
    assert (policy.unit_problem(role, facts) is None) is allowed


@pytest.mark.parametrize(
    "actor, role, allowed",
    [
        ([RoleName.SUPERADMIN], RoleName.SUPERADMIN, True),
        ([RoleName.SUPERADMIN], "自定义角色", True),
        ([RoleName.TALENT_CENTRE], RoleName.SUPERADMIN, False),
        ([RoleName.TALENT_CENTRE], RoleName.TALENT_CENTRE, True),
        ([RoleName.TALENT_CENTRE], RoleName.PROVINCE_REVIEWER, True),
        ([RoleName.TALENT_CENTRE], "自定义角色", False),
        ([RoleName.PROVINCE_REVIEWER], RoleName.TALENT_CENTRE, False),
        ([RoleName.PROVINCE_REVIEWER], RoleName.CITY_REVIEWER, True),
        ([RoleName.CITY_REVIEWER], RoleName.PROVINCE_REVIEWER, False),
        ([RoleName.EMPLOYEE], RoleName.CITY_REVIEWER, False),
        (["自定义角色"], RoleName.EMPLOYEE, False),
        ([], RoleName.EMPLOYEE, False),
    ],
)
def test_grant_rank_table(actor, role, allowed):
    assert policy.may_grant(actor, role) is allowed


def test_role_problem_messages():
    admin = [RoleName.SUPERADMIN]

    assert policy.role_problems(admin, [], creating=True, has_id_number=False)
    assert policy.role_problems(
        admin, [RoleName.CITY_REVIEWER, RoleName.EMPLOYEE], creating=True, has_id_number=False
    )
    assert policy.role_problems(admin, [RoleName.EMPLOYEE], creating=True, has_id_number=True)
    assert policy.role_problems(admin, [RoleName.EMPLOYEE], creating=False, has_id_number=False)
    assert policy.role_problems(admin, [RoleName.EMPLOYEE], creating=False, has_id_number=True) == []
    assert policy.role_problems(
        admin, [RoleName.CITY_REVIEWER], creating=True, has_id_number=False
    ) == []


def test_last_superadmin_rule():
    assert policy.last_superadmin_problem("甲", 1, "disable") is None
    assert "不能禁用" in policy.last_superadmin_problem("甲", 0, "disable")
    assert "取消其超级管理员角色" in policy.last_superadmin_problem("甲", 0, "demote")


def test_unknown_fab_action_is_400(app, login_as):
    client = login_as("superadmin")
    for url, data in (
        ("/users/action/nope/1", None),
        ("/users/action_post", {"action": "nope", "rowid": "1"}),
        ("/roles/action/nope/1", None),
        ("/roles/action_post", {"action": "nope", "rowid": "1"}),
    ):
        assert client.post(url, data=data).status_code == 400, url


def test_seeded_role_cannot_be_renamed(app):
    from app.admin_accounts_roles import AuditedRoleModelView

    with app.test_request_context():
        from flask import g

        from app.extensions import db
        from app.models import Account

        g.user = db.session.scalar(sa.select(Account).where(Account.username == "superadmin"))
        role = app.appbuilder.sm.find_role("地市级审核员")
        role.name = "地市审核员X"
        with pytest.raises(ValueError):
            AuditedRoleModelView.pre_update(object.__new__(AuditedRoleModelView), role)
        db.session.rollback()


def test_login_limit_counts_every_spelling(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT_PER_ACCOUNT="3 per 5 minutes",
        LOGIN_RATE_LIMIT_PER_ADDRESS="100 per minute",
    )
    client = app.test_client()
    for name in ("fushun_reviewer", "FUSHUN_REVIEWER", "Fushun_Reviewer"):
        client.post("/login/", data={"username": name, "password": "wrong"})

    response = client.post("/login/", data={"username": "fUSHUN_reviewer", "password": "Demo@2026ce"})

    assert response.status_code == 429
