"""The national dataset generator, at a tiny scale, on a freshly migrated database.

The shared template database already contains demo accounts, so these tests
build their own empty databases: a SQLite file, or a PostgreSQL database
when TEST_DATABASE_URL points at a server.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections import Counter
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_appbuilder import Model
from stdnum.cn import ric

from app import create_app, rules
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.glossary import RoleName
from app.hours import compute_budget
from app.models import Account, Activity, Application, Profile, ReviewEvent, Unit
from app.national_dataset import (
    BENCH_CITY_REVIEWER,
    BENCH_PROVINCE_REVIEWER,
    BENCH_TALENT_ADMIN,
    DatasetNotEmpty,
    generate,
)
from app.submission import pinyin_key

SCALE = 0.0005
SEED = 7

CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
}


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class EmptyDatabases:
    """Create empty databases migrated to head, and drop them at the end."""

    def __init__(self, workdir) -> None:
        self.workdir = workdir
        self.postgres = _postgres_url()
        self.created: list[str] = []
        self.apps = []

    def _admin(self) -> sa.Engine:
        url = sa.make_url(self.postgres).set(database="postgres")
        return sa.create_engine(url, isolation_level="AUTOCOMMIT")

    def new_app(self):
        from flask_migrate import upgrade

        name = f"ce_test_national_{uuid.uuid4().hex[:10]}"
        if self.postgres is None:
            url = f"sqlite:///{self.workdir / name}.sqlite"
        else:
            admin = self._admin()
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            self.created.append(name)
            url = (
                sa.make_url(self.postgres)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        app = create_app(
            {
                **CONFIG,
                "SQLALCHEMY_DATABASE_URI": url,
                "UPLOAD_FOLDER": str(self.workdir / name / "uploads"),
            }
        )
        with app.app_context():
            upgrade()
        self.apps.append(app)
        return app

    def close(self) -> None:
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.created:
            admin = self._admin()
            with admin.connect() as connection:
                for name in self.created:
                    connection.execute(
                        sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    )
            admin.dispose()


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    manager = EmptyDatabases(tmp_path_factory.mktemp("national"))
    yield manager
    manager.close()


@pytest.fixture(scope="module")
def generated(databases):
    """One app on a database with the tiny national dataset, and its summary."""
    app = databases.new_app()
    with app.app_context():
        summary = generate(SEED, SCALE)
    return app, summary


@pytest.fixture
def national(generated):
    app, summary = generated
    with app.app_context():
        yield app, summary
        db.session.rollback()


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _employees() -> list[Account]:
    return list(
        db.session.scalars(sa.select(Account).where(Account.id_number.is_not(None)))
    )


def _state(row: Application) -> str:
    """Name the review state of an application from its columns."""
    two_level = row.first_review_unit_id != row.top_review_unit_id
    if row.status == "returned":
        return "returned"
    if row.status == "completed":
        return f"completed_{row.final_result}"
    at_city = row.review_unit_id == row.first_review_unit_id and two_level
    if row.status == "pending":
        return "pending_city" if at_city else "pending_province"
    decision = row.city_decision if at_city else row.province_decision
    return f"{decision}_{'city' if at_city else 'province'}"


def _login(app, username: str):
    client = app.test_client()
    response = client.post(
        "/login/", data={"username": username, "password": DEMO_PASSWORD}
    )
    # A failed login redirects back to the login form.
    assert response.status_code == 302, f"login failed for {username}"
    assert "/login" not in response.headers["Location"], f"login failed for {username}"
    return client


def _digest() -> str:
    """Return a SHA-256 over the identifying columns of the generated rows."""
    digest = hashlib.sha256()
    queries = [
        sa.select(
            Account.username, Account.first_name, Account.mobile, Account.unit_id
        ).order_by(Account.id),
        sa.select(
            Activity.owner_id,
            Activity.category,
            Activity.year,
            Activity.name,
            Activity.start_date,
            Activity.inputs,
        ).order_by(Activity.id),
        sa.select(
            Application.applicant_id,
            Application.status,
            Application.total_hours,
            Application.submitted_on,
            Application.year_hours,
            Application.is_exception,
        ).order_by(Application.id),
        sa.select(
            ReviewEvent.application_id,
            ReviewEvent.action,
            ReviewEvent.reason,
            ReviewEvent.created_on,
        ).order_by(ReviewEvent.id),
    ]
    for query in queries:
        for row in db.session.execute(query):
            digest.update(
                json.dumps([str(value) for value in row], ensure_ascii=False).encode()
            )
    return digest.hexdigest()


def test_counts_match_summary(national):
    _, summary = national
    assert _count(Activity) == summary.activities
    assert _count(Application) == summary.applications
    assert _count(ReviewEvent) == summary.review_events
    assert (
        db.session.scalar(sa.text("SELECT COUNT(*) FROM evidence")) == summary.evidence
    )
    assert len(_employees()) == summary.accounts
    assert _count(Unit) == summary.units
    assert summary.accounts == round(200_000 * SCALE)
    assert summary.applications == round(80_000 * SCALE)
    assert 8 * summary.accounts <= summary.activities <= 14 * summary.accounts
    assert summary.seed == SEED
    assert summary.scale == SCALE


def test_foreign_keys_intact(national):
    """Every reference points at a stored row, although the PostgreSQL load skips checks."""
    checked = 0
    for table in Model.metadata.sorted_tables:
        for key in table.foreign_keys:
            # An alias keeps a self-reference (unit.parent_id) correlated.
            parent = key.column.table.alias("parent")
            target = parent.columns[key.column.name]
            orphans = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(
                    key.parent.is_not(None), ~sa.exists().where(target == key.parent)
                )
            )
            assert orphans == 0, f"{table.name}.{key.parent.name} → {parent.name}"
            checked += 1
    assert checked >= 30


def test_tree_is_national(national):
    _, summary = national
    assert summary.provinces == 27
    assert 380 <= summary.city_units <= 420
    units = {unit.id: unit for unit in db.session.scalars(sa.select(Unit))}
    for unit in units.values():
        parent_path = units[unit.parent_id].path if unit.parent_id else "/"
        assert unit.path == f"{parent_path}{unit.id}/", unit.code
    names = {unit.name for unit in units.values()}
    assert "国网北京市电力公司朝阳供电公司" in names
    assert "国网四川省电力公司成都供电公司" in names
    # Liaoning keeps the codes and names of units.json.
    fushun = db.session.scalar(sa.select(Unit).where(Unit.code == "NE-LN-FS"))
    assert fushun.name == "国网辽宁电力有限公司抚顺供电公司"


def test_id_numbers_valid_and_unique(national):
    employees = _employees()
    numbers = [account.id_number for account in employees]
    invalid = [number for number in numbers if not ric.is_valid(number)]
    assert invalid == []
    assert len(set(numbers)) == len(numbers)
    assert all(account.username == account.id_number for account in employees)


def test_mobiles_valid_and_unique(national):
    mobiles = [account.mobile for account in _employees()]
    assert all(re.fullmatch(r"1[3-9][0-9]{9}", mobile) for mobile in mobiles)
    assert len(set(mobiles)) == len(mobiles)


def test_every_application_state_present(national):
    rows = list(db.session.scalars(sa.select(Application)))
    states = Counter(_state(row) for row in rows)
    expected = {
        "pending_city", "pass_city", "fail_city", "returned", "pending_province",
        "pass_province", "fail_province", "completed_pass", "completed_fail",
    }  # fmt: skip
    assert expected <= set(states), states
    exceptions = [row for row in rows if row.is_exception]
    assert {_state(row) for row in exceptions} >= {"completed_pass", "completed_fail"}
    for row in exceptions:
        assert row.compliant is False
        assert len(row.exception_reason) >= 10
        assert row.exception_scan_path
        assert row.exception_type
    assert all(row.compliant for row in rows if not row.is_exception)
    assert any(row.return_reason and row.status == "pending" for row in rows)


def test_events_agree_with_rows(national):
    for row in db.session.scalars(sa.select(Application)):
        events = row.events
        assert events[0].action == "submit_application"
        assert events[0].from_status is None
        assert events[-1].to_status == row.status
        assert row.version == len(events)
        times = [event.created_on for event in events]
        assert times == sorted(times)
        resubmits = [e for e in events if e.action == "submit_application"]
        assert row.submitted_on == resubmits[-1].created_on
        for event in events:
            if event.action in ("fail", "return"):
                assert event.reason
            if event.role == RoleName.CITY_REVIEWER:
                assert event.unit_id == row.first_review_unit_id
            if event.role == RoleName.PROVINCE_REVIEWER:
                assert event.unit_id == row.top_review_unit_id


def test_activity_categories_and_years(national, generated):
    app, summary = generated
    ruleset = rules.load_ruleset(2024)
    categories = set(db.session.scalars(sa.select(Activity.category).distinct()))
    assert categories == {category.code for category in ruleset.categories}
    years = set(db.session.scalars(sa.select(Activity.year).distinct()))
    assert years == {summary.year - 3, summary.year - 2, summary.year - 1, summary.year}
    for activity in db.session.scalars(sa.select(Activity).limit(300)):
        category = ruleset.category(activity.category)
        _, errors = rules.validate_inputs(category, activity.inputs)
        assert errors == {}, (activity.id, activity.inputs)


def test_snapshot_matches_budget(national):
    applications = db.session.scalars(
        sa.select(Application).order_by(Application.id).limit(6)
    )
    for application in applications:
        profile = db.session.get(Profile, application.applicant_id)
        budget = compute_budget(application.applicant_id, profile)
        expected = json.loads(json.dumps(budget.to_snapshot()))
        assert application.snapshot["years"] == expected["years"]
        assert application.snapshot["assessment"] == expected["assessment"]
        assert application.compliant == budget.assessment.compliant
        total = sum(
            Decimal(application.year_hours[year]) for year in application.year_hours
        )
        assert Decimal(application.total_hours) == total
        assert application.applicant_name_pinyin == pinyin_key(
            application.applicant_name
        )
        listed = [item["id"] for item in application.snapshot["activities"]]
        stored = db.session.scalars(
            sa.select(Activity.id).where(Activity.owner_id == application.applicant_id)
        )
        assert sorted(listed) == sorted(stored)


def test_bench_anchors(national):
    _, summary = national
    bench = db.session.scalar(
        sa.select(Account).where(Account.username == summary.bench_employee_username)
    )
    activities = db.session.scalars(
        sa.select(Activity.year).where(Activity.owner_id == bench.id)
    ).all()
    assert len(activities) == 200
    assert len(set(activities)) == 4
    city = db.session.scalar(
        sa.select(Account).where(Account.username == BENCH_CITY_REVIEWER)
    )
    busiest = db.session.execute(
        sa.select(Application.first_review_unit_id, sa.func.count())
        .where(Application.first_review_unit_id != Application.top_review_unit_id)
        .group_by(Application.first_review_unit_id)
        .order_by(sa.func.count().desc(), Application.first_review_unit_id)
    ).first()
    assert city.unit_id == busiest[0]
    assert city.unit.name == summary.bench_city_unit
    province = db.session.scalar(
        sa.select(Account).where(Account.username == BENCH_PROVINCE_REVIEWER)
    )
    assert city.unit.path.startswith(province.unit.path)
    talent = db.session.scalar(
        sa.select(Account).where(Account.username == BENCH_TALENT_ADMIN)
    )
    assert talent.unit_id is None
    assert [role.name for role in talent.roles] == [RoleName.TALENT_CENTRE]


def _query(app, statement, **params):
    """Run one query in its own app context, so requests never share `g` with it."""
    with app.app_context():
        return db.session.execute(statement, params).first()


def test_pages_work_on_dataset(generated):
    app, summary = generated
    reviewer = _login(app, BENCH_CITY_REVIEWER)
    response = reviewer.get("/review/")
    assert response.status_code == 200
    waiting_id, waiting_name = _query(
        app,
        sa.select(Application.id, Application.applicant_name)
        .join(Account, Account.username == BENCH_CITY_REVIEWER)
        .where(Application.review_unit_id == Account.unit_id)
        .limit(1),
    )
    assert waiting_name in response.get_data(as_text=True)
    assert reviewer.get(f"/review/{waiting_id}").status_code == 200

    employee = _login(app, summary.bench_employee_username)
    budget = employee.get("/budget/")
    assert budget.status_code == 200
    assert "达标" in budget.get_data(as_text=True)
    (evidence_id,) = _query(
        app,
        sa.text(
            "SELECT evidence.id FROM evidence "
            "JOIN activity ON activity.id = evidence.activity_id "
            "JOIN ab_user ON ab_user.id = activity.owner_id "
            "WHERE ab_user.username = :username ORDER BY evidence.id LIMIT 1"
        ),
        username=summary.bench_employee_username,
    )
    download = employee.get(f"/evidence/{evidence_id}/download")
    assert download.status_code == 200
    assert download.data[:4] in (b"%PDF", b"\x89PNG", b"\xff\xd8\xff\xe0")

    admin = _login(app, BENCH_TALENT_ADMIN)
    assert admin.get("/review/").status_code == 200
    (scan_id,) = _query(
        app, sa.select(Application.id).where(Application.is_exception).limit(1)
    )
    scan = admin.get(f"/budget/applications/{scan_id}/scan")
    assert scan.status_code == 200
    assert scan.data.startswith(b"%PDF")

    province = _login(app, BENCH_PROVINCE_REVIEWER)
    assert province.get("/review/").status_code == 200


def test_sequences_continue_after_load(national):
    """New rows get fresh ids, because the generator moved the id sequences on."""
    owner = _employees()[0]
    activity = Activity(
        owner_id=owner.id,
        category="public_subject",
        year=2026,
        name="新增活动",
        start_date=owner.created_on.date(),
        inputs={"course_hours": "2"},
    )
    db.session.add(activity)
    db.session.flush()
    assert activity.id > db.session.scalar(
        sa.select(sa.func.max(Activity.id)).where(Activity.id != activity.id)
    )
    fushun_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == "NE-LN-FS"))
    unit = Unit(
        code="NE-LN-FS-TEST",
        name="测试县公司",
        level="county",
        kind="county_company",
        parent_id=fushun_id,
        path="",
    )
    db.session.add(unit)
    db.session.flush()
    assert unit.id is not None


def test_same_seed_same_data(databases, generated):
    app, _ = generated
    with app.app_context():
        first = _digest()
    again = databases.new_app()
    result = again.test_cli_runner().invoke(
        args=[
            "platform",
            "generate-national",
            "--seed",
            str(SEED),
            "--scale",
            str(SCALE),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "已生成全国数据集" in result.output
    assert "bench_city_reviewer" in result.output
    with again.app_context():
        assert _digest() == first


def test_other_seed_other_data(databases, generated):
    app, _ = generated
    with app.app_context():
        first = _digest()
    other = databases.new_app()
    with other.app_context():
        generate(SEED + 1, SCALE)
        assert _digest() != first


def test_rejects_non_empty_database(generated):
    app, _ = generated
    result = app.test_cli_runner().invoke(
        args=["platform", "generate-national", "--scale", str(SCALE)]
    )
    assert result.exit_code == 1
    assert "数据库不是空的" in result.output
    with app.app_context():
        with pytest.raises(DatasetNotEmpty):
            generate(SEED, SCALE)


def test_rejects_demo_database(app):
    """The shared template database contains the demo employee."""
    with app.app_context():
        with pytest.raises(DatasetNotEmpty) as error:
            generate(SEED, SCALE)
    assert "员工账号" in error.value.message


def test_rejects_bad_scale(generated):
    app, _ = generated
    result = app.test_cli_runner().invoke(
        args=["platform", "generate-national", "--scale", "0"]
    )
    assert result.exit_code == 2
    assert "--scale" in result.output


@pytest.mark.parametrize("scale", ["nan", "inf", "1e9", "-1"])
def test_rejects_scale_outside_range(generated, scale):
    app, _ = generated
    result = app.test_cli_runner().invoke(
        args=["platform", "generate-national", "--scale", scale]
    )
    assert result.exit_code == 2
    assert "--scale" in result.output


def test_rejects_unmigrated_database(tmp_path):
    app = create_app(
        {
            **CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/unmigrated.db",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    result = app.test_cli_runner().invoke(
        args=["platform", "generate-national", "--scale", "0.0005"]
    )
    assert result.exit_code == 1
    assert "数据库尚未迁移" in result.output
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        db.engine.dispose()


def test_failed_generation_keeps_no_uncommitted_rows(databases, monkeypatch):
    """A failure part-way reports what is left and restores the SQLite settings."""
    import app.national_dataset as national_dataset

    app = databases.new_app()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(national_dataset.ActivityLoader, "load", fail)
    messages = []
    with app.app_context():
        with pytest.raises(RuntimeError, match="disk full"):
            generate(SEED, SCALE, progress=messages.append)
        if db.engine.dialect.name == "sqlite":
            journal = db.session.execute(sa.text("PRAGMA journal_mode")).scalar()
            assert journal == "delete"
        db.session.remove()
    assert any("生成未完成" in message for message in messages)
