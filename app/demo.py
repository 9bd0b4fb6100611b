"""Demo accounts, one per role, for trying the platform on a laptop.

The passwords are public by design; `platform setup --no-demo` skips them on
a real deployment.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .extensions import db
from .glossary import RoleName
from .identity import with_check_character
from .models import Account, Profile, Subspecialty, Title, TitleLevel, TitleSeries, Unit

log = logging.getLogger(__name__)

DEMO_PASSWORD = "Demo@2026ce"

# 210402 is an area code of 抚顺; the check character is computed, not typed.
_EMPLOYEE_ID_BODY = "21040219900101123"
DEMO_EMPLOYEE_ID = with_check_character(_EMPLOYEE_ID_BODY)
DEMO_EMPLOYEE_MOBILE = "13800000001"

FUSHUN_CODE = "NE-LN-FS"
LIAONING_CODE = "NE-LN"

DEMO_ACCOUNTS = [
    # username, name, role, unit code, mobile
    (DEMO_EMPLOYEE_ID, "张三", RoleName.EMPLOYEE, FUSHUN_CODE, DEMO_EMPLOYEE_MOBILE),
    ("fushun_reviewer", "抚顺审核员", RoleName.CITY_REVIEWER, FUSHUN_CODE, None),
    ("liaoning_reviewer", "辽宁审核员", RoleName.PROVINCE_REVIEWER, LIAONING_CODE, None),
    ("talent_admin", "人才中心管理员", RoleName.TALENT_CENTRE, None, None),
    ("superadmin", "超级管理员", RoleName.SUPERADMIN, None, None),
]


def _unit(code: str | None) -> Unit | None:
    if code is None:
        return None
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _ensure_account(username, name, role_name, unit_code, mobile) -> Account:
    security = current_app.appbuilder.sm
    account = db.session.scalar(select(Account).where(Account.username == username))
    if account is None:
        account = Account(
            username=username,
            first_name=name,
            last_name="",
            email=f"{username.lower()}@demo.invalid",
            active=True,
        )
        db.session.add(account)
    account.password = generate_password_hash(
        DEMO_PASSWORD, method=current_app.config["FAB_PASSWORD_HASH_METHOD"]
    )
    account.roles = [security.find_role(role_name)]
    unit = _unit(unit_code)
    account.unit_id = unit.id if unit else None
    if role_name == RoleName.EMPLOYEE:
        account.id_number = username
        account.mobile = mobile
    return account


def _ensure_employee_profile(account: Account) -> None:
    """Fill the profile as in the manual: 政工师 applying for 高级政工师, 保卫工作."""
    if db.session.get(Profile, account.id) is not None:
        return
    series = db.session.scalar(select(TitleSeries).where(TitleSeries.name == "政工系列"))
    current_level = db.session.scalar(select(TitleLevel).where(TitleLevel.name == "中级"))
    target_level = db.session.scalar(select(TitleLevel).where(TitleLevel.name == "副高级"))
    if not (series and current_level and target_level):
        return
    current_title = db.session.scalar(
        select(Title).where(Title.name == "政工师", Title.series_id == series.id)
    )
    target_title = db.session.scalar(
        select(Title).where(Title.name == "高级政工师", Title.series_id == series.id)
    )
    subspecialty = db.session.scalar(
        select(Subspecialty).where(
            Subspecialty.name == "保卫工作", Subspecialty.series_id == series.id
        )
    )
    db.session.add(
        Profile(
            user_id=account.id,
            current_level_id=current_level.id,
            current_title_id=current_title.id if current_title else None,
            title_obtained_on=dt.date(2018, 2, 15),
            target_year=dt.date.today().year,
            target_method="review",
            target_level_id=target_level.id,
            target_series_id=series.id,
            target_subspecialty_id=subspecialty.id if subspecialty else None,
            target_title_id=target_title.id if target_title else None,
        )
    )


def create_demo_accounts() -> list[str]:
    """Create or reset the demo accounts; return lines describing them."""
    lines = ["演示账号（密码均为 " + DEMO_PASSWORD + "）："]
    for username, name, role_name, unit_code, mobile in DEMO_ACCOUNTS:
        account = _ensure_account(username, name, role_name, unit_code, mobile)
        db.session.flush()
        if role_name == RoleName.EMPLOYEE:
            _ensure_employee_profile(account)
        unit = account.unit.name if account.unit else "全部单位"
        lines.append(f"  {role_name}：用户名 {username}（{name}，{unit}）")
    db.session.commit()
    log.info("demo accounts ready")
    return lines
