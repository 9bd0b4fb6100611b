"""Checks of the account forms, and the changes an edit makes, for the audit log.

FAB builds the add and edit forms of `app.admin_accounts.AccountView` from
the model; these validators and the form-level unit check are attached there.
"""

from __future__ import annotations

from typing import Any, Optional

from flask import g
from sqlalchemy import func, inspect, select
from wtforms import ValidationError

from . import admin_accounts_policy as policy
from .admin_accounts_scope import active_superadmin_ids, role_names_of
from .extensions import db
from .glossary import RoleName
from .models import Account


def _edited_account(form) -> Optional[Account]:
    """Return the account an edit form is for; FAB sets `form._id` on edit only."""
    record_id = getattr(form, "_id", None)
    return db.session.get(Account, record_id) if record_id is not None else None


def validate_roles(form, field) -> None:
    """Check the chosen role: one role, not above the user's own, last superadmin."""
    account = _edited_account(form)
    chosen = [role.name for role in field.data or []]
    if not chosen and any(value for value in field.raw_data or []):
        # The form offers only grantable roles, so any other id is dropped.
        raise ValidationError("所选角色不存在，或您无权授予该角色。")
    problems = policy.role_problems(
        role_names_of(g.user),
        chosen,
        creating=account is None,
        has_id_number=bool(account is not None and account.id_number),
    )
    if problems:
        raise ValidationError(problems[0])

    if account is None or not account.active:
        return
    demoted = RoleName.SUPERADMIN in role_names_of(account) and chosen != [
        RoleName.SUPERADMIN
    ]
    if demoted:
        remaining = len(active_superadmin_ids(excluding=[account.id]))
        problem = policy.last_superadmin_problem(account.full_name, remaining, "demote")
        if problem:
            raise ValidationError(problem)


def with_unit_check(form_class: type) -> type:
    """Return a subclass of an account form that checks the unit against the role.

    The check is form-level because the unit field is optional, and WTForms
    stops an empty optional field's own validators before they run.
    """

    class AccountForm(form_class):
        def validate(self, extra_validators=None) -> bool:
            valid = super().validate(extra_validators)
            roles = self.roles.data or []
            if self.roles.errors or len(roles) != 1:
                return valid

            problem = policy.unit_problem(roles[0].name, self.unit.data)
            if problem:
                self.unit.errors = [*self.unit.errors, problem]
                return False
            return valid

    AccountForm.__name__ = form_class.__name__
    return AccountForm


def validate_username(form, field) -> None:
    """Check the username's form and that no account has it in any letter case."""
    problem = policy.username_problem(field.data)
    if problem:
        raise ValidationError(problem)

    existing = db.session.scalar(
        select(Account.id).where(func.lower(Account.username) == field.data.lower())
    )
    if existing is not None:
        raise ValidationError("该用户名已被使用，请换一个。")


def changed_fields(account: Account) -> dict[str, list[Any]]:
    """Return the edited fields of `account` as {field: [before, after]}."""
    state = inspect(account)
    changes: dict[str, list[Any]] = {}
    for name in ("first_name", "unit", "roles"):
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        before = list(history.deleted) + list(history.unchanged)
        after = list(history.added) + list(history.unchanged)
        if name == "roles":
            changes[name] = [sorted(map(str, before)), sorted(map(str, after))]
        else:
            changes[name] = [
                str(before[0]) if before else None,
                str(after[0]) if after else None,
            ]
    return changes
