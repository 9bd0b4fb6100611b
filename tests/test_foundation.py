"""The app factory, configuration, migrations, CSRF, language and static assets."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import InsecureConfiguration, create_app
from app.demo import DEMO_EMPLOYEE_ID, DEMO_PASSWORD
from app.extensions import db
from app.models import Account, Title, TitleLevel, TitleSeries, Unit


def test_factory_builds_independent_apps(make_app):
    first = make_app()
    second = make_app()

    assert first is not second
    assert first.appbuilder is not second.appbuilder
    assert first.extensions["appbuilder"] is first.appbuilder


def test_default_secret_refused_in_production(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(InsecureConfiguration):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_default_secret_allowed_when_testing(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    assert app.testing


def test_settings_read_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgresql://user@db.example/platform")
    monkeypatch.setenv("UPLOAD_FOLDER", str(tmp_path / "shared"))
    import config

    settings = config.load_settings()

    assert settings["SECRET_KEY"] == "from-the-environment"
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert settings["UPLOAD_FOLDER"] == str(tmp_path / "shared")


def test_migrations_upgrade_and_downgrade(tmp_path):
    url = f"sqlite:///{tmp_path}/migrate.db"
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"ab_user", "ab_role", "unit", "activity", "application"} <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_reference_data_loaded(app):
    with app.app_context():
        levels = db.session.scalar(sa.select(sa.func.count(Unit.id)).where(Unit.level == "region"))
        provinces = db.session.scalars(
            sa.select(Unit).where(Unit.level == "province", Unit.kind == "provincial_company")
        ).all()
        liaoning = db.session.scalar(sa.select(Unit).where(Unit.code == "NE-LN"))
        cities = db.session.scalars(
            sa.select(Unit).where(Unit.parent_id == liaoning.id, Unit.kind == "supply_company")
        ).all()
        fushun = db.session.scalar(sa.select(Unit).where(Unit.code == "NE-LN-FS"))
        zhenggongshi = db.session.scalar(sa.select(Title).where(Title.name == "政工师"))

        assert levels == 6
        assert len(provinces) == 27
        assert len(cities) == 14
        assert fushun.path.startswith(liaoning.path)
        assert [node.level for node in fushun.ancestors()] == ["region", "province", "city"]
        assert zhenggongshi.level.name == "中级"
        assert db.session.scalar(sa.select(sa.func.count(TitleLevel.id))) == 4
        assert db.session.scalar(sa.select(sa.func.count(TitleSeries.id))) == 7


def test_setup_is_idempotent(app):
    from app import cli, roles

    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Unit.id)))
        cli.load_units()
        cli.load_titles()
        roles.seed_roles()
        after = db.session.scalar(sa.select(sa.func.count(Unit.id)))
        accounts = db.session.scalar(sa.select(sa.func.count(Account.id)))
    assert before == after
    assert accounts == 5


def test_csrf_required_on_post(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()

    response = client.post("/login/", data={"username": DEMO_EMPLOYEE_ID, "password": DEMO_PASSWORD})
    assert response.status_code == 400

    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login/",
        data={"username": DEMO_EMPLOYEE_ID, "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302

    # A logged-in POST to the platform's own views needs the token too.
    response = client.post("/activities/paper/add", data={"name": "x"})
    assert response.status_code == 400


def test_login_by_mobile_and_lowercase_x(app, make_account):
    from app.glossary import RoleName

    from tests.conftest import id_number_with_check

    body = "11010519491231002"
    id_number = id_number_with_check(body)
    if not id_number.endswith("X"):
        body = "11010519491231003"
        id_number = id_number_with_check(body)
    make_account(id_number, RoleName.EMPLOYEE, "NE-LN-FS", id_number=id_number, mobile="13912345678")

    for login in (id_number.lower(), "+86 139-1234-5678", id_number):
        client = app.test_client()
        response = client.post("/login/", data={"username": login, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login
        assert client.get("/").status_code == 200


def test_wrong_password_stays_logged_out(client):
    response = client.post("/login/", data={"username": DEMO_EMPLOYEE_ID, "password": "wrong"})

    assert response.status_code == 302
    assert "/login/" in response.location
    assert client.get("/").status_code == 302


def test_interface_speaks_chinese(app, login_as):
    client = login_as("superadmin")
    page = client.get("/roles/list/").get_data(as_text=True)

    for label in ("新增", "查看", "修改", "删除"):
        assert label in page
    assert "Add" not in re.sub(r"<[^>]+>", " ", page).split()


def test_pages_use_no_external_assets(app, employee_client):
    for url in ("/", "/activities/paper/", "/budget/", "/profile/edit", "/pages/manual"):
        page = employee_client.get(url).get_data(as_text=True)
        external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', page)
        assert external == [], url
    login_page = app.test_client().get("/login/").get_data(as_text=True)
    for asset in re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css))', login_page):
        assert app.test_client().get(asset).status_code == 200, asset


def test_dates_shown_as_iso(employee_client):
    page = employee_client.get("/").get_data(as_text=True)
    assert "2018-02-15" in page


def test_help_pages(employee_client):
    manual = employee_client.get("/pages/manual").get_data(as_text=True)
    policy = employee_client.get("/pages/policy").get_data(as_text=True)

    assert "立即注册" in manual
    assert "90学时" in policy
    assert employee_client.get("/pages/unknown").status_code == 404


def test_demo_applications_cover_every_state(app, login_as):
    from app import demo_applications
    from app.demo import DEMO_EMPLOYEE_ID
    from app.models import Application

    with app.app_context():
        lines = demo_applications.create_demo_applications(DEMO_EMPLOYEE_ID)
        statuses = set(db.session.scalars(sa.select(Application.status)))
        finals = set(db.session.scalars(sa.select(Application.final_result)))
        exceptions = db.session.scalar(
            sa.select(sa.func.count(Application.id)).where(Application.is_exception.is_(True))
        )
        again = demo_applications.create_demo_applications(DEMO_EMPLOYEE_ID)

    assert "40" in lines[0]
    assert statuses == {"pending", "reviewed", "returned", "completed"}
    assert finals == {None, "pass", "fail"}
    assert exceptions == 8
    assert again == ["演示申报数据已存在"]
    for username in ("shenyang_reviewer", "dalian_reviewer", "fushun_reviewer", "liaoning_reviewer"):
        page = login_as(username).get("/review/").get_data(as_text=True)
        assert page.count("data-application=") >= 1, username


@pytest.mark.parametrize(
    "username",
    [DEMO_EMPLOYEE_ID, "fushun_reviewer", "liaoning_reviewer", "talent_admin", "superadmin"],
)
def test_change_password_and_logout(app, login_as, username):
    client = login_as(username)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "修改密码" in home
    assert "退出系统" in home

    form = client.get("/resetmypassword/form")
    assert form.status_code == 200
    weak = client.post(
        "/resetmypassword/form", data={"password": "short", "conf_password": "short"}
    )
    assert weak.status_code == 200
    assert "密码太短" in weak.get_data(as_text=True)
    changed = client.post(
        "/resetmypassword/form",
        data={"password": "Xin-Mima2026", "conf_password": "Xin-Mima2026"},
    )
    assert changed.status_code == 302

    client.get("/logout/")
    assert client.get("/").status_code == 302
    again = app.test_client()
    response = again.post("/login/", data={"username": username, "password": "Xin-Mima2026"})
    assert response.status_code == 302
    assert again.get("/", follow_redirects=True).status_code == 200


def test_password_policy_on_fab_form_checks_identity(app, login_as):
    client = login_as(DEMO_EMPLOYEE_ID)
    password = DEMO_EMPLOYEE_ID + "Ab!"

    response = client.post(
        "/resetmypassword/form", data={"password": password, "conf_password": password}
    )

    assert response.status_code == 200
    assert "身份证号" in response.get_data(as_text=True)


def test_setup_keeps_changes_made_on_screen(app):
    from app import cli

    with app.app_context():
        fushun = db.session.scalar(sa.select(Unit).where(Unit.code == "NE-LN-FS"))
        fushun.name = "国网辽宁电力有限公司抚顺供电公司（改名）"
        title = db.session.scalar(sa.select(Title).where(Title.name == "政工师"))
        title.active = False
        db.session.commit()

        cli.load_units()
        cli.load_titles()

        assert db.session.scalar(
            sa.select(Unit.name).where(Unit.code == "NE-LN-FS")
        ).endswith("（改名）")
        assert db.session.scalar(sa.select(Title.active).where(Title.name == "政工师")) is False
