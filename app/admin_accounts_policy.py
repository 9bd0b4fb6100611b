"""Rules for managing accounts: role ranks, unit binding, and the last superadmin.

Plain functions with no Flask dependency: role names and unit attributes in,
Chinese messages out. An empty list or None means the change is allowed.
The account screens in `app.admin_accounts` call them for every change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Optional, Protocol

from .catalog_data import LEVEL_CITY, LEVEL_COUNTY, LEVEL_PROVINCE, REVIEWING_KINDS
from .glossary import RoleName

# Rank of each seeded role. An account may grant, and manage accounts that
# hold, only roles whose rank is not above its own.
ROLE_RANKS: dict[str, int] = {
    RoleName.EMPLOYEE: 1,
    RoleName.CITY_REVIEWER: 2,
    RoleName.PROVINCE_REVIEWER: 3,
    RoleName.TALENT_CENTRE: 4,
    RoleName.SUPERADMIN: 5,
}
TOP_RANK = ROLE_RANKS[RoleName.SUPERADMIN]

# Administrators see every unit, so their accounts are bound to none.
UNBOUND_ROLES = (RoleName.TALENT_CENTRE, RoleName.SUPERADMIN)

# Reviewer and administrator usernames start with a letter, so that they can
# never be read as an ID-card or mobile number, which employees log in with.
USERNAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{2,63}")
USERNAME_RULE_TEXT = (
    "用户名须以英文字母开头，由 3 至 64 个英文字母、数字、点（.）、"
    "下划线（_）或短横线（-）组成。"
)


class UnitFacts(Protocol):
    """The attributes of a unit that the binding rules read (`app.models.Unit`)."""

    name: str
    level: str
    kind: str
    active: bool


def actor_rank(role_names: Iterable[str]) -> int:
    """Return the rank an account acts with: its highest seeded role, 0 if none.

    A role created on the role screens has no rank, so it grants nothing here.
    """
    return max((ROLE_RANKS.get(name, 0) for name in role_names), default=0)


def target_rank(role_names: Iterable[str]) -> int:
    """Return the rank needed to manage an account or grant these roles.

    A role without a seeded rank counts as the superadmin's, because only the
    superadmin can see what such a role permits.
    """
    return max((ROLE_RANKS.get(name, TOP_RANK) for name in role_names), default=0)


def may_grant(actor_roles: Iterable[str], role_name: str) -> bool:
    return target_rank([role_name]) <= actor_rank(actor_roles)


def username_problem(username: str) -> Optional[str]:
    if USERNAME_PATTERN.fullmatch(username or ""):
        return None
    return USERNAME_RULE_TEXT


def role_problems(
    actor_roles: Iterable[str],
    new_roles: list[str],
    *,
    creating: bool,
    has_id_number: bool,
) -> list[str]:
    """Check the roles chosen for an account by an actor holding `actor_roles`.

    Each account has exactly one role, so that its unit binding below is
    unambiguous. Employee accounts come only from self-registration, which
    records the ID-card number that employees log in with.
    """
    if not new_roles:
        return ["请为账号选择一个角色。"]

    if len(new_roles) > 1:
        return ["每个账号只能有一个角色，请只选择一个。"]

    role = new_roles[0]
    actor_roles = list(actor_roles)
    if not may_grant(actor_roles, role):
        return [f"您不能授予“{role}”角色：只能授予不高于您自己角色的角色。"]

    if role == RoleName.EMPLOYEE and creating:
        return ["申报人账号由员工在登录页通过“立即注册”自行注册，不能在此新增。"]

    if role == RoleName.EMPLOYEE and not has_id_number:
        return ["该账号没有登记身份证号，不能设为申报人。"]

    return []


def unit_problem(role_name: Optional[str], unit: Optional[UnitFacts]) -> Optional[str]:
    """Check that `unit` suits an account holding `role_name`.

    A city-level reviewer is bound to a city-level unit that has reviewers: a
    supply company or a provincial unit, never a head office, because the
    province reviews head-office staff. A province-level reviewer is bound to
    a province-level unit. A role without a rule here accepts any unit or none.
    """
    if unit is not None and not unit.active:
        return f"单位“{unit.name}”已停用，不能绑定。"

    if role_name == RoleName.CITY_REVIEWER:
        if unit is None:
            return "地市级审核员必须绑定一个地市级审核单位。"
        if unit.level != LEVEL_CITY or unit.kind not in REVIEWING_KINDS:
            return (
                f"地市级审核员只能绑定地市级审核单位（地市供电公司或省公司所属单位），"
                f"“{unit.name}”不是。"
            )

    if role_name == RoleName.PROVINCE_REVIEWER:
        if unit is None:
            return "省公司级审核员必须绑定一个省公司级单位。"
        if unit.level != LEVEL_PROVINCE or unit.kind not in REVIEWING_KINDS:
            return (
                f"省公司级审核员只能绑定省公司级单位（省公司或直属单位），"
                f"“{unit.name}”不是。"
            )

    if role_name == RoleName.EMPLOYEE:
        if unit is None or unit.level not in (LEVEL_CITY, LEVEL_COUNTY):
            return "申报人必须绑定所在的地市级或县级单位。"

    if role_name in UNBOUND_ROLES and unit is not None:
        return f"{role_name}面向全部单位，不绑定单位，请清空“单位”。"

    return None


def last_superadmin_problem(
    account_name: str, remaining_active_superadmins: int, change: str
) -> Optional[str]:
    """Refuse a change that would leave no active superadmin.

    Without one, no account could reach the role screens or manage
    administrator accounts again. `change` is "disable" or "demote".
    """
    if remaining_active_superadmins > 0:
        return None

    verb = "禁用" if change == "disable" else "取消其超级管理员角色"
    return (
        f"“{account_name}”是最后一个启用的超级管理员，不能{verb}。"
        "请先新增或启用另一个超级管理员账号。"
    )
