"""Submission windows (申报时间): when the applications of a year may be submitted.

Rules:
- A window covers one application year. Both dates count as inside it, and
  dates are Beijing calendar days, the users' time zone.
- A year without a window is open all year, so that a new installation, or a
  year the administrators have not scheduled yet, never blocks submission.
- Outside the window employees still record activities, but cannot submit.
  The one exception: an application that a reviewer returned may be
  resubmitted after the window has closed, because the return asks for a
  correction of an application that entered review in time.

SubmissionWindowAdminView at the end of the module is the screen that edits
the windows.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Optional

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import DateField, IntegerField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from . import BEIJING
from .extensions import db
from .forms import REQUIRED
from .glossary import ApplicationStatus
from .models import Account, Application, SubmissionWindow

log = logging.getLogger(__name__)

UNSET = "unset"
BEFORE = "before"
OPEN = "open"
AFTER = "after"

AUDIT_ACTIONS = {
    "window.save": "设置申报时间",
    "window.delete": "删除申报时间",
}


def beijing_today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


@dataclass(frozen=True)
class WindowState:
    """A day's position relative to the submission window of a year."""

    year: int
    opens_on: Optional[dt.date]
    closes_on: Optional[dt.date]
    today: dt.date

    @property
    def status(self) -> str:
        if self.opens_on is None or self.closes_on is None:
            return UNSET
        if self.today < self.opens_on:
            return BEFORE
        if self.today > self.closes_on:
            return AFTER
        return OPEN

    @property
    def is_open(self) -> bool:
        return self.status in (UNSET, OPEN)

    @property
    def period_text(self) -> str:
        if self.opens_on is None or self.closes_on is None:
            return ""
        opens, closes = self.opens_on.isoformat(), self.closes_on.isoformat()
        return f"{self.year}年申报时间为{opens}至{closes}"

    @property
    def notice(self) -> str:
        """Return the home page's sentence about the window, empty when none is set."""
        status = self.status
        if status == BEFORE:
            return f"{self.period_text}，尚未开始"
        if status == AFTER:
            return f"{self.period_text}，已于{self.closes_on.isoformat()}截止"
        return self.period_text


def window_of(year: int) -> Optional[SubmissionWindow]:
    return db.session.scalar(
        select(SubmissionWindow).where(SubmissionWindow.year == year)
    )


def window_state(year: int, today: Optional[dt.date] = None) -> WindowState:
    window = window_of(year)
    return WindowState(
        year=year,
        opens_on=window.opens_on if window else None,
        closes_on=window.closes_on if window else None,
        today=today or beijing_today(),
    )


def submission_refusal(
    year: int, applicant_id: int, today: Optional[dt.date] = None
) -> Optional[str]:
    """Return why the applicant cannot submit for `year` today, or None if they can."""
    state = window_state(year, today)
    if state.status == BEFORE:
        return f"{state.notice}，开始后才能提交申报"
    if state.status != AFTER:
        return None

    status = db.session.scalar(
        select(Application.status).where(
            Application.applicant_id == applicant_id, Application.year == year
        )
    )
    if status == ApplicationStatus.RETURNED.value:
        return None
    return f"{state.notice}，不能再提交申报"


def all_windows() -> list[SubmissionWindow]:
    return list(
        db.session.scalars(
            select(SubmissionWindow).order_by(SubmissionWindow.year.desc())
        )
    )


def save_window(
    actor: Account, year: int, opens_on: dt.date, closes_on: dt.date
) -> SubmissionWindow:
    """Create or change the window of `year` and record it in the audit log.

    Raises ValueError when the window closes before it opens.
    """
    if closes_on < opens_on:
        raise ValueError("截止日期不能早于开始日期")
    window = window_of(year)
    before = None
    if window is None:
        window = SubmissionWindow(year=year)
        db.session.add(window)
    else:
        before = {
            "opens_on": window.opens_on.isoformat(),
            "closes_on": window.closes_on.isoformat(),
        }
    window.opens_on = opens_on
    window.closes_on = closes_on
    try:
        db.session.flush()
    except IntegrityError:
        # Another administrator created the year's window at the same moment.
        db.session.rollback()
        raise ValueError(
            f"{year}年的申报时间刚被其他管理员设置，请刷新后重试"
        ) from None

    from .audit import record_audit

    state = WindowState(year, opens_on, closes_on, beijing_today())
    record_audit(
        actor,
        "window.save",
        "submission_window",
        year,
        f"设置{state.period_text}",
        None,
        {
            "before": before,
            "opens_on": opens_on.isoformat(),
            "closes_on": closes_on.isoformat(),
        },
    )
    db.session.commit()
    log.info(
        "submission window year=%s set to %s..%s by user=%s",
        year,
        opens_on,
        closes_on,
        actor.id,
    )
    return window


def delete_window(actor: Account, window: SubmissionWindow) -> None:
    """Remove a year's window, which leaves the year open for submission."""
    from .audit import record_audit

    year = window.year
    record_audit(
        actor,
        "window.delete",
        "submission_window",
        year,
        f"删除{year}年申报时间，该年度改为不限时间",
        None,
        {
            "opens_on": window.opens_on.isoformat(),
            "closes_on": window.closes_on.isoformat(),
        },
    )
    db.session.delete(window)
    db.session.commit()
    log.info("submission window year=%s deleted by user=%s", year, actor.id)


# The 申报时间 screen ------------------------------------------------------


class WindowForm(FlaskForm):
    year = IntegerField(
        "申报年度",
        validators=[
            InputRequired(REQUIRED),
            NumberRange(2000, 2100, message="申报年度应在 2000 至 2100 之间"),
        ],
    )
    opens_on = DateField(
        "开始日期", validators=[InputRequired(REQUIRED)], format="%Y-%m-%d"
    )
    closes_on = DateField(
        "截止日期", validators=[InputRequired(REQUIRED)], format="%Y-%m-%d"
    )

    def validate_closes_on(self, field: DateField) -> None:
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError("截止日期不能早于开始日期")


class SubmissionWindowAdminView(BaseView):
    """申报时间: one window per application year. A year without one is always open."""

    route_base = "/admin/windows"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        form = WindowForm()
        year = request.args.get("year", type=int)
        window = window_of(year) if year else None
        if window is not None:
            form.year.data = window.year
            form.opens_on.data = window.opens_on
            form.closes_on.data = window.closes_on
        return self._render(form)

    @expose("/save", methods=["POST"])
    @has_access
    @permission_name("edit")
    def save(self):
        form = WindowForm()
        if not form.validate():
            return self._render(form)
        try:
            save_window(g.user, form.year.data, form.opens_on.data, form.closes_on.data)
        except ValueError as error:
            log.warning(
                "submission window year=%s rejected for user=%s: %s",
                form.year.data,
                g.user.id,
                error,
            )
            form.closes_on.errors = list(form.closes_on.errors) + [str(error)]
            return self._render(form)
        flash(f"已保存{form.year.data}年申报时间", "success")
        return redirect(url_for(".list"))

    @expose("/<int:window_id>/delete", methods=["POST"])
    @has_access
    def delete(self, window_id: int):
        window = db.session.get(SubmissionWindow, window_id)
        if window is None:
            abort(404)
        year = window.year
        delete_window(g.user, window)
        flash(f"已删除{year}年申报时间，该年度不再限制提交时间", "success")
        return redirect(url_for(".list"))

    def _render(self, form: WindowForm):
        today = beijing_today()
        states = {
            item.id: WindowState(item.year, item.opens_on, item.closes_on, today)
            for item in all_windows()
        }
        return self.render_template(
            "admin/rules/windows.html",
            form=form,
            rows=all_windows(),
            states=states,
            today=today,
        )
