"""Consistency rules of the profile's title fields, checked against the catalogue."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from .hours import method_labels
from .models import Subspecialty, Title, TitleLevel, TitleSeries

REQUIRED = "此项为必填项"


def _require(session: Session, model: type, field, label: str) -> Optional[Any]:
    if field.data is None:
        field.errors.append(REQUIRED)
        return None
    record = session.get(model, field.data)
    if record is None or not getattr(record, "active", True):
        field.errors.append(f"所选{label}无效，请重新选择")
        return None
    return record


def check_profile(form, session: Session, ruleset) -> Optional[dict[str, Any]]:
    """Return the profile's column values, or None after adding field errors.

    Rules: the current title is a title of the current level; the target
    level is above the current one; the target title belongs to the chosen
    series and level; the sub-specialty belongs to the series; the date
    obtained is not in the future; the method is one the rule set defines.
    """
    current_level = _require(session, TitleLevel, form.current_level, "现职称等级")
    current_title = _require(session, Title, form.current_title, "现职称")
    target_level = _require(session, TitleLevel, form.target_level, "拟申报职称等级")
    target_series = _require(session, TitleSeries, form.target_series, "拟申报专业")
    target_title = _require(session, Title, form.target_title, "拟申报职称")

    if form.title_obtained_on.data is None and not form.title_obtained_on.errors:
        form.title_obtained_on.errors.append(REQUIRED)
    elif form.title_obtained_on.data and form.title_obtained_on.data > dt.date.today():
        form.title_obtained_on.errors.append("取得时间不能晚于今天")

    this_year = dt.date.today().year
    if form.target_year.data is None:
        form.target_year.errors.append(REQUIRED)
    elif not this_year - 1 <= form.target_year.data <= this_year + 1:
        form.target_year.errors.append(f"拟申报年份应在{this_year - 1}至{this_year + 1}年之间")

    if not form.target_method.data:
        form.target_method.errors.append(REQUIRED)
    elif form.target_method.data not in method_labels(ruleset):
        form.target_method.errors.append("所选拟申报方式无效，请重新选择")

    if current_title and current_level and current_title.level_id != current_level.id:
        form.current_title.errors.append(f"{current_title.name}不是{current_level.name}职称")
    if current_level and target_level and target_level.rank <= current_level.rank:
        form.target_level.errors.append(
            f"拟申报职称等级应高于现职称等级（{current_level.name}）"
        )
    if target_title and target_series and target_title.series_id != target_series.id:
        form.target_title.errors.append(f"{target_title.name}不属于{target_series.name}")
    if target_title and target_level and target_title.level_id != target_level.id:
        form.target_title.errors.append(f"{target_title.name}不是{target_level.name}职称")
    if target_title and target_title.legacy:
        form.target_title.errors.append(f"{target_title.name}已不再评定，不能作为拟申报职称")

    subspecialty = _check_subspecialty(session, form, target_series)

    if any(field.errors for field in form):
        return None
    return {
        "current_level_id": current_level.id,
        "current_title_id": current_title.id,
        "title_obtained_on": form.title_obtained_on.data,
        "target_year": form.target_year.data,
        "target_method": form.target_method.data,
        "target_level_id": target_level.id,
        "target_series_id": target_series.id,
        "target_subspecialty_id": subspecialty.id if subspecialty else None,
        "target_title_id": target_title.id,
    }


def _check_subspecialty(session: Session, form, series) -> Optional[Subspecialty]:
    """Check the sub-specialty: a series that has some needs one of its own, others take none."""
    field = form.target_subspecialty
    if series is None:
        return None
    has_any = session.scalar(
        select(Subspecialty.id).where(
            Subspecialty.series_id == series.id,
            Subspecialty.active.is_(True),
            Subspecialty.selectable.is_(True),
        )
    )
    if field.data is None:
        if has_any is not None:
            field.errors.append(f"请选择{series.name}的分支专业")
        return None
    subspecialty = session.get(Subspecialty, field.data)
    if subspecialty is None or not subspecialty.active or not subspecialty.selectable:
        field.errors.append("所选拟申报分支专业无效，请重新选择")
        return None
    if subspecialty.series_id != series.id:
        field.errors.append(f"{subspecialty.name}不属于{series.name}")
        return None
    return subspecialty
