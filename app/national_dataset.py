"""Generate a realistic national dataset into an empty database, repeatably by seed.

`generate` first loads the reference data that `platform setup --no-demo`
loads, then rejects a database that already contains employee accounts or
applications, then adds:

- the national organisation tree (`app/national_tree.py`): units.json plus a
  supply company per prefecture-level city and two province-level units in
  every provincial company, about 400 city-level units in all;
- 200,000 × scale employee accounts with unique, valid ID-card numbers of
  their unit's area and unique mobile numbers, each with a complete profile;
- about 10 activities per employee over the four years shown in the
  four-year table, in every category, converted by the rules engine;
- evidence rows pointing at a few small files written once into
  UPLOAD_FOLDER under `national/`;
- 80,000 × scale applications for the application year in every review
  state, with the review events that led there, the exceptions (破格) with
  their reason and stamped scan, and submissions skewed towards the end of
  the season;
- one reviewer account per reviewing unit, acting in the review events.

Fixed anchors for benchmarks, all with the password `Demo@2026ce`
(`app.demo.DEMO_PASSWORD`):

- `bench_city_reviewer`: city-level reviewer of the city-level unit with the
  most applications;
- `bench_province_reviewer`: province-level reviewer of that unit's province;
- `bench_talent_admin`: talent-centre administrator (all units, no unit);
- `bench_employee`: an employee of the same city-level unit with exactly 200
  activities over the four years and no application yet. Like every
  employee, its username is its ID-card number, returned as
  `DatasetSummary.bench_employee_username`.

Every generated account has that password, hashed once. The season is the
70 days before the day of generation (or before 31 December for a past
year), so two runs with the same seed on the same day store the same rows.
No submission window is stored, so the year stays open for submissions.

NOTE: evidence rows share their files. Deleting one generated evidence row
or activity on screen deletes the shared file, and the other rows that point
at it then fail to download (the download reports the file as unavailable).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from . import cli, help_pages, roles, ruleset_store
from .demo import DEMO_PASSWORD
from .extensions import db
from .glossary import RoleName
from .national_accounts import AccountFactory
from .national_activities import PlanBook
from .national_applications import STATE_PROGRESS, STATE_WEIGHTS, TWO_LEVEL_STEPS
from .national_bulk import BulkWriter
from .national_files import write_sample_files
from .national_load import ActivityLoader, Applicant
from .national_tree import (
    StaffUnit,
    insert_missing_units,
    load_unit_rows,
    reviewing_units,
    staff_units,
)

log = logging.getLogger(__name__)

FULL_ACCOUNTS = 200_000
FULL_APPLICATIONS = 80_000
MIN_ACCOUNTS = 60
MIN_APPLICATIONS = 30
SEASON_DAYS = 70
EXCEPTION_SHARE = 0.12
REVIEW_METHOD_SHARE = 0.8

BENCH_CITY_REVIEWER = "bench_city_reviewer"
BENCH_PROVINCE_REVIEWER = "bench_province_reviewer"
BENCH_TALENT_ADMIN = "bench_talent_admin"
BENCH_EMPLOYEE_ACTIVITIES = 200


class DatasetNotEmpty(Exception):
    """The database already contains employee accounts or applications."""

    def __init__(self, accounts: int, applications: int) -> None:
        self.message = (
            f"数据库不是空的：已有 {accounts} 个员工账号、{applications} 份申报。"
            "全国数据集只能生成到新建的空数据库中，请先新建数据库并执行 flask db upgrade。"
        )
        super().__init__(self.message)


@dataclass
class DatasetSummary:
    """Row counts of a generated dataset, seed, scale and benchmark anchors."""

    seed: int
    scale: float
    year: int
    units: int
    city_units: int
    provinces: int
    accounts: int
    reviewer_accounts: int
    activities: int
    applications: int
    review_events: int
    evidence: int
    seconds: float
    bench_employee_username: str
    bench_city_unit: str

    def lines(self) -> list[str]:
        """Return the summary as the CLI prints it, in Chinese."""
        return [
            f"已生成全国数据集（随机种子 {self.seed}，规模 {self.scale:g}，申报年度 {self.year}）：",
            f"  单位 {self.units} 个，其中省公司 {self.provinces} 个、地市级单位 {self.city_units} 个",
            f"  员工账号 {self.accounts} 个，审核员账号 {self.reviewer_accounts} 个",
            f"  继续教育活动 {self.activities} 条，佐证材料 {self.evidence} 条",
            f"  申报 {self.applications} 份，审核记录 {self.review_events} 条",
            f"  用时 {self.seconds:.1f} 秒",
            f"基准测试账号（密码均为 {DEMO_PASSWORD}）：",
            f"  {BENCH_CITY_REVIEWER}（{self.bench_city_unit}）、"
            f"{BENCH_PROVINCE_REVIEWER}、{BENCH_TALENT_ADMIN}",
            f"  员工 {self.bench_employee_username}（{BENCH_EMPLOYEE_ACTIVITIES} 条继续教育活动）",
        ]


def prepare_reference_data(report: Callable[[str], None]) -> None:
    """Load what `platform setup --no-demo` loads, reporting each step."""
    report(f"已导入 {cli.load_units()} 个单位")
    report(f"已导入 {cli.load_titles()} 个职称")
    roles.seed_roles()
    report("角色与权限已更新")
    for label in ruleset_store.seed_default_rulesets():
        report(f"已导入规则集 {label}")
    for slug in help_pages.seed_help_pages():
        report(f"已导入帮助页面 {help_pages.PAGE_TITLES[slug]}")


def reject_if_not_empty() -> None:
    """Raise DatasetNotEmpty when employee accounts or applications exist."""
    accounts = db.session.execute(
        text(
            "SELECT COUNT(DISTINCT ab_user.id) FROM ab_user "
            "LEFT JOIN ab_user_role ON ab_user_role.user_id = ab_user.id "
            "LEFT JOIN ab_role ON ab_role.id = ab_user_role.role_id "
            "WHERE ab_role.name = :role OR ab_user.id_number IS NOT NULL"
        ),
        {"role": RoleName.EMPLOYEE},
    ).scalar_one()
    applications = db.session.execute(
        text("SELECT COUNT(*) FROM application")
    ).scalar_one()
    if accounts or applications:
        raise DatasetNotEmpty(accounts, applications)


def _counts(scale: float) -> tuple[int, int]:
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    accounts = max(round(FULL_ACCOUNTS * scale), MIN_ACCOUNTS)
    applications = max(round(FULL_APPLICATIONS * scale), MIN_APPLICATIONS)
    # The benchmark employee never applies, so one account is kept free.
    return accounts, min(applications, accounts - 1)


def _season(year: int, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    end_day = min(today, dt.date(year, 12, 31))
    end = dt.datetime.combine(end_day, dt.time())
    return end - dt.timedelta(days=SEASON_DAYS), end


def _plan_applicants(
    rng: random.Random,
    units_of: list,
    count: int,
    season: tuple[dt.datetime, dt.datetime],
    exception_types: list[str],
) -> dict[int, Applicant]:
    """Choose the applicants by employee position, with state, method and time.

    The first applicants with a city-level reviewer get one of each state, so
    that a small dataset still shows every state. Older submissions are
    further along the workflow.
    """
    positions = rng.sample(range(len(units_of)), count)
    two_level = [
        p
        for p in positions
        if units_of[p].first_review_unit_id != units_of[p].top_review_unit_id
    ]
    coverage = list(TWO_LEVEL_STEPS)
    covered = two_level[: len(coverage)]
    rest = [p for p in positions if p not in set(covered)]

    states = dict(zip(covered, coverage))
    names, weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
    for position, state in zip(rest, rng.choices(names, weights, k=len(rest))):
        states[position] = state

    # Submissions crowd towards the end of the season: the cube root of a
    # uniform draw has density 3x² on [0, 1].
    start, end = season
    seconds = (end - start).total_seconds()
    times = sorted(
        start + dt.timedelta(seconds=int(seconds * rng.random() ** (1 / 3)))
        for _ in positions
    )
    by_progress = sorted(
        positions, key=lambda p: -(STATE_PROGRESS[states[p]] + rng.uniform(0, 2.5))
    )

    exceptional = set(rng.sample(positions, round(len(positions) * EXCEPTION_SHARE)))
    # One exception in each final result and one waiting, whatever the scale.
    for position in covered:
        if states[position] in ("completed_pass", "completed_fail", "pending_city"):
            exceptional.add(position)

    applicants = {}
    for position, submitted in zip(by_progress, times):
        is_exception = position in exceptional
        method = "review" if rng.random() < REVIEW_METHOD_SHARE else "recognition"
        applicants[position] = Applicant(
            state=states[position],
            method=method,
            submitted=submitted,
            exception_type=rng.choice(exception_types) if is_exception else None,
        )
    return applicants


def _bench_city_unit(
    staff: list[StaffUnit], units_of: list[StaffUnit], applicants: dict[int, Applicant]
) -> StaffUnit:
    """Return the city-level reviewing unit with the most applications.

    A tie goes to the lowest unit id.
    """
    counts = Counter(
        units_of[p].first_review_unit_id
        for p in applicants
        if units_of[p].first_review_unit_id != units_of[p].top_review_unit_id
    )
    best = max(counts.items(), key=lambda item: (item[1], -item[0]))[0]
    return next(unit for unit in staff if unit.id == best)


def _ensure_waiting_at(
    unit: StaffUnit, units_of: list[StaffUnit], applicants: dict[int, Applicant]
) -> None:
    """Make one application of the unit wait at it, so its reviewer has rows to act on.

    The state is swapped with an application waiting elsewhere, which keeps
    the mix of states unchanged.
    """
    own = [p for p in applicants if units_of[p].first_review_unit_id == unit.id]
    if any(applicants[p].state == "pending_city" for p in own):
        return
    waiting = next(
        (
            p
            for p in applicants
            if applicants[p].state == "pending_city"
            and units_of[p].first_review_unit_id != units_of[p].top_review_unit_id
        ),
        None,
    )
    if waiting is None or not own:
        return
    mine = own[0]
    applicants[mine], applicants[waiting] = (
        replace(applicants[mine], state="pending_city"),
        replace(applicants[waiting], state=applicants[mine].state),
    )


class DatasetNotMigrated(Exception):
    """The database lacks the platform's tables."""

    message = "数据库尚未迁移：请先运行 flask --app run db upgrade，再生成数据集。"


def reject_if_not_migrated() -> None:
    """Raise DatasetNotMigrated unless the migrations have created the tables."""
    if not sa_inspect(db.engine).has_table("alembic_version"):
        raise DatasetNotMigrated(DatasetNotMigrated.message)


def generate(
    seed: int = 2026,
    scale: float = 1.0,
    *,
    year: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> DatasetSummary:
    """Generate the national dataset that the module docstring describes.

    Runs inside an app context on a database migrated to head. Raises
    DatasetNotEmpty when employee accounts or applications already exist.
    """
    started = time.perf_counter()
    report = progress or (lambda message: None)
    account_count, application_count = _counts(scale)
    reject_if_not_migrated()
    prepare_reference_data(report)
    reject_if_not_empty()

    today = dt.date.today()
    year = today.year if year is None else year
    season = _season(year, today)
    rng = random.Random(seed)
    ruleset = ruleset_store.current_ruleset(year)
    upload_root = Path(current_app.config["UPLOAD_FOLDER"])
    password_hash = generate_password_hash(
        DEMO_PASSWORD, method=current_app.config["FAB_PASSWORD_HASH_METHOD"]
    )
    db.session.commit()
    db.session.close()
    log.info("national dataset: seed=%s scale=%s year=%s started", seed, scale, year)

    with db.engine.connect() as connection:
        writer = BulkWriter(connection)
        writer.begin_load()
        try:
            report("正在生成全国单位树……")
            insert_missing_units(writer)
            units = load_unit_rows(writer)
            staff = staff_units(rng, units)
            units_of = rng.choices(
                staff, [unit.weight for unit in staff], k=account_count - 1
            )
            exception_types = [item.code for item in ruleset.exception_types]
            applicants = _plan_applicants(
                rng, units_of, application_count, season, exception_types
            )
            bench_unit = _bench_city_unit(staff, units_of, applicants)
            _ensure_waiting_at(bench_unit, units_of, applicants)

            report("正在生成员工和审核员账号……")
            factory = AccountFactory(writer, rng, password_hash, year, season)
            employees = factory.create_employees(units_of, applicants, bench_unit)
            reviewers = factory.create_reviewers(reviewing_units(units))
            factory.create_bench_reviewers(bench_unit.id, bench_unit.top_review_unit_id)

            report("正在生成继续教育活动、佐证材料、申报和审核记录……")
            samples, exception_scan = write_sample_files(upload_root)
            plans = PlanBook(rng, ruleset)
            loader = ActivityLoader(
                writer,
                rng,
                ruleset,
                plans,
                year,
                season,
                samples,
                exception_scan,
                reviewers,
            )
            loader.load(employees, applicants)

            report("正在更新序列和统计信息……")
            writer.finish()
        except BaseException:
            # Earlier steps have committed their rows, so the database is no
            # longer empty and a new run would reject it.
            writer.end_load(failed=True)
            log.error("national dataset: generation failed part-way", exc_info=True)
            report("生成未完成：数据库中已留下部分数据，请删除该数据库，在新的空数据库中重新生成。")
            raise
        writer.end_load()
        unit_counts = connection.execute(
            text(
                "SELECT COUNT(*), "
                "SUM(CASE WHEN level = 'city' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind = 'provincial_company' THEN 1 ELSE 0 END) FROM unit"
            )
        ).one()

    summary = DatasetSummary(
        seed=seed,
        scale=scale,
        year=year,
        units=unit_counts[0],
        city_units=unit_counts[1],
        provinces=unit_counts[2],
        accounts=len(employees),
        reviewer_accounts=factory.reviewer_count,
        activities=loader.activity_count,
        applications=loader.application_count,
        review_events=loader.event_count,
        evidence=loader.evidence_count,
        seconds=time.perf_counter() - started,
        bench_employee_username=factory.bench_employee_username,
        bench_city_unit=bench_unit.name,
    )
    log.info(
        "national dataset done in %.1fs: %d accounts, %d activities, %d applications",
        summary.seconds,
        summary.accounts,
        summary.activities,
        summary.applications,
    )
    return summary
