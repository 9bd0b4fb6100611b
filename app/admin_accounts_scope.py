"""The scope of account management: SQL conditions and checks per administrator.

An administrator manages its own account and every account whose roles all
rank at or below its own (`app.admin_accounts_policy`). Out-of-scope accounts
are reported as not found (404), as in `app.scope`, so that their ids cannot
be probed.
"""

from __future__ import annotations

from typing import Iterable, Optional

from flask import abort, current_app, g
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.sqla.models import Group, Role
from sqlalchemy import ColumnElement, or_, select, true

from . import admin_accounts_policy as policy
from .extensions import db
from .glossary import RoleName
from .models import Account


def role_names_of(account: Optional[Account]) -> list[str]:
    """Return the names of the roles an account has directly or through groups."""
    if account is None or not getattr(account, "is_authenticated", False):
        return []
    roles = current_app.appbuilder.sm.get_user_roles(account)
    return [role.name for role in roles]


def _has_role(condition: ColumnElement) -> ColumnElement:
    """Return a condition on `Account` true when it has a role matching `condition`."""
    return or_(
        Account.roles.any(condition),
        Account.groups.any(Group.roles.any(condition)),
    )


def manageable_condition(actor: Optional[Account]) -> ColumnElement:
    """Return a SQL condition on `Account` selecting what `actor` may manage.

    That is the actor's own account and every account whose roles all rank
    at or below the actor's (`policy.target_rank`). Roles without a seeded
    rank count as the superadmin's.
    """
    rank = policy.actor_rank(role_names_of(actor))
    if rank >= policy.TOP_RANK:
        return true()

    above = [name for name, value in policy.ROLE_RANKS.items() if value > rank]
    hidden_role = or_(Role.name.in_(above), Role.name.not_in(list(policy.ROLE_RANKS)))
    own_id = actor.id if actor is not None else None
    return or_(Account.id == own_id, ~_has_role(hidden_role))


class ManageableAccountsFilter(BaseFilter):
    """Base filter of the account screens: only accounts the user may manage."""

    name = "可管理的账号"

    def apply(self, query, value):
        return query.filter(manageable_condition(g.user))


def manageable_accounts_or_404(items: Iterable[Optional[Account]]) -> list[Account]:
    """Return the accounts if the signed-in user may manage all of them, else 404.

    FAB's list actions load rows by primary key without the view's base
    filters, so every action passes its rows through here.
    """
    accounts = list(items)
    if not accounts or any(account is None for account in accounts):
        abort(404)

    ids = {account.id for account in accounts}
    allowed = db.session.scalars(
        select(Account.id).where(Account.id.in_(ids), manageable_condition(g.user))
    ).all()
    if set(allowed) != ids:
        abort(404)
    return accounts


def grantable_role_names() -> list[str]:
    """Return the names of the roles the signed-in user may grant."""
    actor_roles = role_names_of(g.user)
    public = current_app.config["AUTH_ROLE_PUBLIC"]
    names = db.session.scalars(select(Role.name).where(Role.name != public)).all()
    return [name for name in names if policy.may_grant(actor_roles, name)]


def active_superadmin_ids(excluding: Iterable[int] = ()) -> list[int]:
    """Return the ids of the active superadmins, other than `excluding`.

    On PostgreSQL the rows are locked until the transaction ends, so two
    administrators cannot each disable or demote a different one of the
    last two superadmins at the same time.
    """
    statement = (
        select(Account.id)
        .where(
            Account.active.is_(True),
            _has_role(Role.name == RoleName.SUPERADMIN),
            Account.id.not_in(list(excluding)),
        )
        .with_for_update(of=Account)
    )
    return list(db.session.scalars(statement).all())
