"""学时折算审核: the reviewing unit's list of submitted applications (read-only here)."""

from __future__ import annotations

from flask import g
from flask_appbuilder import ModelView
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface

from .glossary import ApplicationStatus
from .models import Application
from .scope import applications_condition


class InScopeFilter(BaseFilter):
    """Keep only the applications the current user may see."""

    name = "可见范围"

    def apply(self, query, value):
        return query.filter(applications_condition(g.user))


class PendingHereFilter(BaseFilter):
    """Keep the applications waiting for the current user's own unit (待审核)."""

    name = "待本单位审核"

    def apply(self, query, value):
        unit_id = getattr(g.user, "unit_id", None)
        return query.filter(
            Application.status == ApplicationStatus.PENDING.value,
            Application.review_unit_id == unit_id,
        )


class ReviewListView(ModelView):
    datamodel = SQLAInterface(Application)
    route_base = "/review"
    base_permissions = ["can_list", "can_show"]
    base_filters = [["id", InScopeFilter, lambda: None], ["id", PendingHereFilter, lambda: None]]
    base_order = ("submitted_on", "desc")
    list_title = "学时折算审核 · 待审核"
    show_title = "申报详情"
    list_columns = [
        "applicant_name",
        "masked_id",
        "year",
        "total_hours",
        "compliant_label",
        "review_result",
        "reviewed_label",
        "review_type",
        "title_level_name",
        "yearly_hours",
        "exception_reason",
        "exception_scan_link",
    ]
    show_columns = [
        "applicant_name",
        "year",
        "method",
        "total_hours",
        "compliant_label",
        "review_type",
        "exception_reason",
        "ruleset_version",
        "submitted_on",
    ]
    label_columns = {
        "applicant_name": "姓名",
        "masked_id": "身份证号",
        "year": "申报年份",
        "total_hours": "学时",
        "compliant_label": "是否合格",
        "review_result": "审核结果",
        "reviewed_label": "是否审核",
        "review_type": "审核类型",
        "title_level_name": "现职称等级",
        "yearly_hours": "年度",
        "exception_reason": "情况说明",
        "exception_scan_link": "查看情况说明附件",
        "method": "申报方式",
        "ruleset_version": "规则版本",
        "submitted_on": "提交时间",
    }
    formatters_columns = {}
    page_size = 20

