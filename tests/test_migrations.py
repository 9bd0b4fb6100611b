"""Migrations on an empty database of the run's backend (SQLite, or PostgreSQL
when TEST_DATABASE_URL is set): upgrade to head, the same schema as the models,
downgrade to nothing and upgrade again."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.conftest import BASE_CONFIG, _admin_engine, _postgres_url


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with no tables, dropped at the end on PostgreSQL."""
    server_url = _postgres_url()
    if server_url is None:
        yield f"sqlite:///{tmp_path}/migrate.db"
        return
    name = f"ce_test_migrate_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine(server_url)
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migration_app(empty_database_url, tmp_path):
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Model.metadata)


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_head_matches_the_models(migration_app):
    with migration_app.app_context():
        upgrade()
        assert schema_differences() == []


def test_downgrade_to_empty_and_back(migration_app):
    with migration_app.app_context():
        upgrade()
        tables = table_names()
        assert {"ab_user", "unit", "activity", "application", "audit_entry"} <= tables

        downgrade(revision="base")
        assert table_names() <= {"alembic_version"}

        upgrade()
        assert table_names() == tables
