"""学时折算审核: the reviewing unit's lists, the detail page and the actions."""

from __future__ import annotations

import logging

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from . import workflow
from .extensions import db
from .glossary import ApplicationStatus, Decision
from .models import Application, ReviewEvent, Title, TitleLevel, TitleSeries
from .review_queries import (
    PAGE_SIZES,
    ReviewQuery,
    decision_column,
    fetch_page,
    scope_units,
    viewer_level,
)
from .scope import applications_condition

log = logging.getLogger(__name__)

DECISION_LABELS = {decision.value: decision.label for decision in Decision}


class ReviewView(BaseView):
    """The 待审核 and 已审核 tabs with filters, and the row actions."""

    route_base = "/review"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        query = ReviewQuery.from_args(request.args)
        page = fetch_page(g.user, query)
        decision_name = decision_column(g.user).key
        return self.render_template(
            "review/list.html",
            page=page,
            query=query,
            decision_name=decision_name,
            decision_labels=DECISION_LABELS,
            statuses=ApplicationStatus.choices(),
            units=scope_units(g.user),
            levels=db.session.scalars(select(TitleLevel).order_by(TitleLevel.rank)).all(),
            series=db.session.scalars(
                select(TitleSeries).order_by(TitleSeries.sort_order)
            ).all(),
            titles=_titles_for(query),
            page_sizes=PAGE_SIZES,
            can_act=viewer_level(g.user) is not None,
        )

    @expose("/<int:application_id>")
    @has_access
    def detail(self, application_id: int):
        application = db.session.scalar(
            select(Application).where(
                Application.id == application_id, applications_condition(g.user)
            )
        )
        if application is None:
            abort(404)
        events = db.session.scalars(
            select(ReviewEvent)
            .where(ReviewEvent.application_id == application.id)
            .order_by(ReviewEvent.id)
        ).all()
        return self.render_template(
            "review/detail.html",
            application=application,
            events=events,
            decision_labels=DECISION_LABELS,
            can_act=application.review_unit_id == g.user.unit_id
            and viewer_level(g.user) is not None,
            back=_safe_back(request.args.get("back")),
        )

    @expose("/action", methods=["POST"])
    @has_access
    def action(self):
        back = _safe_back(request.form.get("back"))
        action = request.form.get("action", "")
        rows = request.form.getlist("rows")
        # A per-row button (合格 / 驳回) names its action and its one row.
        if request.form.get("row_action"):
            action, _, row = request.form["row_action"].partition(":")
            rows = [row]
        try:
            outcome = workflow.apply(g.user, action, rows, request.form.get("reason"))
        except workflow.UnknownAction:
            abort(400)
        except workflow.NotFound:
            abort(404)
        except workflow.Refused as refused:
            flash(refused.message, "danger")
            return redirect(back)
        flash(outcome.message, "success")
        return redirect(back)


def _titles_for(query: ReviewQuery) -> list[Title]:
    statement = select(Title).where(Title.active.is_(True))
    level = query.filters.get("level")
    series = query.filters.get("series")
    if not (level and level.isdigit() and series and series.isdigit()):
        return []
    statement = statement.where(Title.level_id == int(level), Title.series_id == int(series))
    return list(db.session.scalars(statement.order_by(Title.id)))


def _safe_back(value: str | None) -> str:
    """Return a local review URL to go back to; anything else goes to the list."""
    if value and value.startswith("/review/") and "//" not in value and "\\" not in value:
        return value
    return url_for("ReviewView.list")
