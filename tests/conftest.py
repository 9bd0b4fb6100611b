"""Fixtures: a real database per test, built once from the migrations.

The schema and reference data (units, titles, roles, demo accounts) are made
once per session by running the Alembic migrations and the setup commands;
each test then gets its own copy: a copied SQLite file, or, when
TEST_DATABASE_URL points at PostgreSQL, a database cloned from a template.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.demo import DEMO_EMPLOYEE_ID, DEMO_PASSWORD
from app.extensions import db

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
}


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _admin_engine(url: str) -> sa.Engine:
    return sa.create_engine(
        sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )


def _populate(url: str, upload_folder: Path) -> None:
    """Migrate an empty database to head and load the reference and demo data."""
    from flask_migrate import upgrade

    from app import cli, demo, roles

    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(upload_folder)}
    )
    with app.app_context():
        upgrade()
        cli.load_units()
        cli.load_titles()
        roles.seed_roles()
        demo.create_demo_accounts()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Return a function that makes a fresh, populated database URL per call.

    Its `release(url)` removes such a database; `make_app` does so when its
    test ends, and the rest go when the session ends.
    """
    workdir = tmp_path_factory.mktemp("db")
    postgres = _postgres_url()
    if postgres is None:
        template = workdir / "template.sqlite"
        _populate(f"sqlite:///{template}", workdir / "uploads")

        def make_sqlite() -> str:
            copy = workdir / f"test-{uuid.uuid4().hex}.sqlite"
            shutil.copyfile(template, copy)
            return f"sqlite:///{copy}"

        def release_sqlite(url: str) -> None:
            Path(sa.make_url(url).database).unlink(missing_ok=True)

        make_sqlite.release = release_sqlite
        yield make_sqlite
        return

    admin = _admin_engine(postgres)
    prefix = f"ce_test_{uuid.uuid4().hex[:8]}"
    template_name = f"{prefix}_template"
    created = [template_name]
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{template_name}"'))
    base_url = sa.make_url(postgres)
    _populate(
        base_url.set(database=template_name).render_as_string(hide_password=False),
        workdir / "uploads",
    )

    def make_postgres() -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(
                sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
            )
        created.append(name)
        return base_url.set(database=name).render_as_string(hide_password=False)

    def release_postgres(url: str) -> None:
        """Drop a test's database when the test ends, so they do not pile up."""
        name = sa.make_url(url).database
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        created.remove(name)

    make_postgres.release = release_postgres
    yield make_postgres
    with admin.connect() as connection:
        for name in reversed(created):
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def make_app(database_template, tmp_path):
    """Build apps on one fresh database; extra config overrides per call."""
    url = database_template()
    apps = []

    def build(**overrides):
        config = {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            **overrides,
        }
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    database_template.release(url)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


class Auth:
    """Log a test client in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = DEMO_PASSWORD):
        return self.client.post(
            "/login/", data={"username": username, "password": password}
        )

    def logout(self):
        return self.client.get("/logout/")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def employee_client(client, auth):
    """A client logged in as the demo employee of 抚顺, whose profile is complete."""
    response = auth.login(DEMO_EMPLOYEE_ID)
    assert response.status_code == 302
    return client


def id_number_with_check(body: str) -> str:
    """Append the GB 11643 check character to a 17-digit body."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(body, weights))
    return body + "10X98765432"[total % 11]


@pytest.fixture
def make_account(app):
    """Create an account directly in the database: role name, unit code, identity."""
    from werkzeug.security import generate_password_hash

    from app.models import Account, Unit

    def create(username, role_name, unit_code=None, *, id_number=None, mobile=None):
        with app.app_context():
            unit = None
            if unit_code is not None:
                unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
            account = Account(
                username=username,
                first_name=f"测试{username[-4:]}",
                last_name="",
                email=f"{username}@test.invalid",
                active=True,
                password=generate_password_hash(DEMO_PASSWORD),
                id_number=id_number,
                mobile=mobile,
                unit_id=unit.id if unit else None,
            )
            account.roles = [app.appbuilder.sm.find_role(role_name)]
            db.session.add(account)
            db.session.commit()
            return account.id

    return create


@pytest.fixture
def login_as(make_app, app):
    """Return a new logged-in client of the shared app for a username."""

    def login(username: str, password: str = DEMO_PASSWORD):
        client = app.test_client()
        response = client.post("/login/", data={"username": username, "password": password})
        assert response.status_code == 302, f"login failed for {username}"
        return client

    return login
