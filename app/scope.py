"""Data scope: which accounts' records a user may see, deny by default.

- An employee sees only their own records.
- A reviewer sees the records of employees whose unit lies in the subtree of
  the reviewer's own unit.
- The talent-centre administrator and the superadmin see everything.
- Anyone else, and a reviewer without a unit, sees nothing.

Views call these functions for every query and every single-record lookup;
an out-of-scope record is reported as not found (404), never as forbidden,
so that ids of other units' records cannot be probed.
"""

from __future__ import annotations

from typing import Optional

from flask import abort
from sqlalchemy import ColumnElement, false, select, true

from .extensions import db
from .glossary import RoleName
from .models import Account, Application, Unit


def role_names(user: Optional[Account]) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {role.name for role in user.roles}


def sees_everything(user: Optional[Account]) -> bool:
    return bool(role_names(user) & {RoleName.TALENT_CENTRE, RoleName.SUPERADMIN})


def is_reviewer(user: Optional[Account]) -> bool:
    return bool(role_names(user) & set(RoleName.REVIEWERS))


def subtree_condition(user: Account, unit_column: ColumnElement) -> ColumnElement:
    """Return a SQL condition true when `unit_column` is in the reviewer's subtree."""
    if user.unit is None:
        return false()
    subtree = select(Unit.id).where(Unit.path.startswith(user.unit.path))
    return unit_column.in_(subtree)


def accounts_condition(user: Optional[Account]) -> ColumnElement:
    """Return a SQL condition on `Account` selecting the accounts the user may see."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if sees_everything(user):
        return true()
    if is_reviewer(user):
        return subtree_condition(user, Account.unit_id)
    return Account.id == user.id


def applications_condition(user: Optional[Account]) -> ColumnElement:
    """Return a SQL condition on `Application` selecting the visible applications."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if sees_everything(user):
        return true()
    if is_reviewer(user):
        return subtree_condition(user, Application.unit_id)
    return Application.applicant_id == user.id


def may_see_account(user: Optional[Account], owner_id: int) -> bool:
    """Tell whether `user` may see the records of the account `owner_id`."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if owner_id == user.id:
        return True
    condition = accounts_condition(user)
    found = db.session.scalar(
        select(Account.id).where(Account.id == owner_id).where(condition)
    )
    return found is not None


def may_see_records_of(user: Optional[Account], owner_id: int) -> bool:
    """Tell whether `user` may see an employee's activities and evidence.

    A reviewer sees them when the employee's current unit is in scope, and
    also when one of the employee's applications is: the reviewing unit of
    an application keeps access to its evidence if the employee moves.
    """
    if may_see_account(user, owner_id):
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    found = db.session.scalar(
        select(Application.id)
        .where(Application.applicant_id == owner_id, applications_condition(user))
        .limit(1)
    )
    return found is not None


def get_owned_or_404(model: type, record_id: int, user: Account) -> object:
    """Load a record that belongs to `user` (by `owner_id`), else abort with 404."""
    record = db.session.get(model, record_id)
    if record is None or getattr(record, "owner_id", None) != user.id:
        abort(404)
    return record
