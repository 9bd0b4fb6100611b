"""Demo applications across several Liaoning city units, in every review state.

They let the review screens be tried at once after `make run`. Each demo
employee gets activities, a profile and a submitted application, and the
workflow then moves some of them on exactly as reviewers would.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from . import workflow
from .demo import DEMO_PASSWORD
from .extensions import db
from .glossary import RoleName
from .hours import compute_budget
from .identity import with_check_character
from .models import Account, Activity, Application, Profile, Unit
from .storage import store_upload
from .submission import ExceptionClaim, record_submission

log = logging.getLogger(__name__)

# City units with demo staff, and the demo reviewer of each.
CITY_REVIEWERS = {
    "NE-LN-SY": ("shenyang_reviewer", "沈阳审核员"),
    "NE-LN-DL": ("dalian_reviewer", "大连审核员"),
    "NE-LN-AS": ("anshan_reviewer", "鞍山审核员"),
    "NE-LN-FS": ("fushun_reviewer", "抚顺审核员"),
}
PROVINCE_REVIEWER = "liaoning_reviewer"
DEMO_MOBILE_PREFIX = "1370000"
# A minimal PDF standing in for a stamped scan.
DEMO_SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN_NAMES = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞"]

# (final state, whether the year falls short) in the order employees are made.
PLAN = [
    ("pending_city", False),
    ("pending_city", True),
    ("passed_city", False),
    ("failed_city", False),
    ("returned", False),
    ("pending_province", False),
    ("passed_province", False),
    ("completed_pass", False),
    ("completed_fail", False),
    ("completed_pass", True),
]


def _id_number(sequence: int) -> str:
    body = f"210{sequence % 900 + 100:03d}1988{(sequence % 12) + 1:02d}{(sequence % 28) + 1:02d}{sequence % 1000:03d}"
    return with_check_character(body)


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _reviewer(username: str, name: str, role_name: str, unit: Unit) -> Account:
    account = db.session.scalar(select(Account).where(Account.username == username))
    if account is None:
        account = Account(
            username=username,
            first_name=name,
            last_name="",
            email=f"{username}@demo.invalid",
            active=True,
            password=generate_password_hash(
                DEMO_PASSWORD, method=current_app.config["FAB_PASSWORD_HASH_METHOD"]
            ),
            unit_id=unit.id,
        )
        account.roles = [current_app.appbuilder.sm.find_role(role_name)]
        db.session.add(account)
        db.session.flush()
    return account


def _employee(sequence: int, unit: Unit, template: Profile) -> Account:
    name = SURNAMES[sequence % len(SURNAMES)] + GIVEN_NAMES[sequence % len(GIVEN_NAMES)]
    id_number = _id_number(sequence)
    account = Account(
        username=id_number,
        first_name=name,
        last_name="",
        email=f"{id_number}@demo.invalid",
        active=True,
        password=generate_password_hash(
            DEMO_PASSWORD, method=current_app.config["FAB_PASSWORD_HASH_METHOD"]
        ),
        id_number=id_number,
        mobile=f"{DEMO_MOBILE_PREFIX}{sequence:04d}",
        unit_id=unit.id,
    )
    account.roles = [current_app.appbuilder.sm.find_role(RoleName.EMPLOYEE)]
    db.session.add(account)
    db.session.flush()
    columns = {column.name: getattr(template, column.name) for column in Profile.__table__.columns}
    columns.update(user_id=account.id, photo_path=None)
    db.session.add(Profile(**columns))
    return account


def _activities(account: Account, years: list[int], short: bool) -> None:
    for index, year in enumerate(years):
        public_hours = "6" if short and index == len(years) - 1 else "12"
        rows = [
            ("public_subject", "公需科目网络学习", {"course_hours": public_hours}),
            ("compulsory_course", "电力安全生产必修课", {"course_hours": "24"}),
            ("face_to_face_training", "专业技术面授培训", {"days": "8"}),
        ]
        for category, name, inputs in rows:
            db.session.add(
                Activity(
                    owner_id=account.id,
                    category=category,
                    year=year,
                    name=name,
                    start_date=dt.date(year, 4, 10),
                    inputs=inputs,
                )
            )


def _move(application: Application, state: str, reviewers: dict[str, Account]) -> None:
    city = reviewers[application.first_review_unit.code]
    province = reviewers[PROVINCE_REVIEWER]

    def run(actor, action, reason=None):
        current = db.session.get(Application, application.id)
        workflow.apply(actor, action, [f"{current.id}:{current.version}"], reason)

    steps = {
        "pending_city": [],
        "passed_city": [(city, "pass")],
        "failed_city": [(city, "fail", "继续教育证明材料不全")],
        "returned": [(city, "return", "请补充公需科目学时证明")],
        "pending_province": [(city, "pass"), (city, "submit")],
        "passed_province": [(city, "pass"), (city, "submit"), (province, "pass")],
        "completed_pass": [(city, "pass"), (city, "submit"), (province, "pass"), (province, "submit")],
        "completed_fail": [
            (city, "pass"),
            (city, "submit"),
            (province, "fail", "破格理由不充分"),
            (province, "submit"),
        ],
    }
    for step in steps[state]:
        run(*step)


def create_demo_applications(template_username: str) -> list[str]:
    """Create the demo staff and applications once; return lines describing them."""
    template_account = db.session.scalar(
        select(Account).where(Account.username == template_username)
    )
    template = db.session.get(Profile, template_account.id) if template_account else None
    if template is None:
        return ["演示申报数据：缺少演示员工的个人信息，已跳过"]
    province_unit = _unit("NE-LN")
    reviewers = {
        PROVINCE_REVIEWER: _reviewer(
            PROVINCE_REVIEWER, "辽宁审核员", RoleName.PROVINCE_REVIEWER, province_unit
        )
    }
    for code, (username, name) in CITY_REVIEWERS.items():
        reviewers[code] = _reviewer(username, name, RoleName.CITY_REVIEWER, _unit(code))
    db.session.commit()

    already = db.session.scalar(
        select(Account.id).where(Account.mobile.like(f"{DEMO_MOBILE_PREFIX}%"))
    )
    if already is not None:
        return ["演示申报数据已存在"]

    sequence = 1
    count = 0
    for code in CITY_REVIEWERS:
        unit = _unit(code)
        for state, short in PLAN:
            account = _employee(sequence, unit, template)
            sequence += 1
            profile = db.session.get(Profile, account.id)
            budget = compute_budget(account.id, profile)
            _activities(account, [budget.application_year + o for o in (-3, -2, -1)], short)
            db.session.flush()
            budget = compute_budget(account.id, profile)
            claim = None
            if short:
                stored = store_upload(
                    Path(current_app.config["UPLOAD_FOLDER"]),
                    io.BytesIO(DEMO_SCAN),
                    "单位盖章情况说明.pdf",
                    allowed={"pdf"},
                    max_bytes=len(DEMO_SCAN),
                )
                claim = ExceptionClaim(
                    exception_type=budget.ruleset.exception_types[0].code,
                    reason="本年度脱产学习，无法参加单位组织的公需科目培训。",
                    scan_path=stored.relative_path,
                    scan_name=stored.original_name,
                    scan_content_type=stored.content_type,
                )
            application = record_submission(account, profile, budget, claim)
            _move(application, state, reviewers)
            count += 1
    log.info("created %d demo applications", count)
    lines = [f"演示申报数据：辽宁 {len(CITY_REVIEWERS)} 个地市单位共 {count} 份申报，覆盖各审核状态"]
    lines.append("  各地市审核员：" + "、".join(u for u, _ in CITY_REVIEWERS.values()))
    return lines
