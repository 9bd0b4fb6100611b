"""Activities of the national dataset, converted by the rules engine once per plan.

A year plan is the list of activities one employee records in one year
(category, inputs, name). The generator draws a few hundred plans, lets
`app.rules` convert each once per year, and hands every employee-year one of
them, so that 2,000,000 activities cost a few thousand conversions. The
frozen figures of an application are then assembled from the cached
conversions with the employee's own activity ids, in the same shape as
`Budget.to_snapshot` plus `activity_snapshot` in `app/submission.py`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from . import rules
from .glossary import ScanType

# Names of activities per category, as employees type them.
ACTIVITY_NAMES: dict[str, tuple[str, ...]] = {
    "public_subject": (
        "公需科目：数字经济与数字化转型",
        "公需科目：专业技术人员职业道德与诚信建设",
        "公需科目：知识产权保护与运用",
        "公需科目：安全生产法律法规",
        "公需科目：人工智能基础与应用",
    ),
    "compulsory_course": (
        "新型电力系统建设必修课",
        "电力安全工作规程必修课",
        "配电网运维技术必修课",
        "继电保护专业必修课",
        "电网调度运行必修课",
    ),
    "face_to_face_training": (
        "变电运维专业技术面授培训",
        "输电线路带电作业培训班",
        "营销业务骨干培训班",
        "电力市场交易业务培训",
        "班组长能力提升培训",
    ),
    "online_course": (
        "网络课程：智能电网技术",
        "网络课程：电力电子技术",
        "网络课程：项目管理实务",
    ),
    "degree_study": ("在职工程硕士学位课程", "电气工程专业本科函授学习"),
    "academic_conference": (
        "中国电机工程学会年会",
        "全国电力系统自动化学术会议",
        "省电机工程学会学术年会",
    ),
    "paper": (
        "配电网故障定位方法研究",
        "变压器状态评估方法探讨",
        "基于大数据的负荷预测分析",
    ),
    "book": ("《配电网运维实务》", "《电力安全生产案例汇编》"),
    "patent": ("一种输电线路巡检装置", "一种配电箱防凝露装置", "一种绝缘子清扫工具"),
    "standard": ("配电网工程验收规范", "变电站巡视作业导则"),
    "award": ("科学技术进步奖", "管理创新成果奖", "职工技术创新成果奖"),
    "teaching": ("新员工入职培训授课", "班组技术讲座", "技能竞赛集训授课"),
    "research_project": ("新型电力系统关键技术研究", "配电网数字化提升研究项目"),
    "qualification_exam": (
        "注册电气工程师考试",
        "一级建造师考试",
        "注册安全工程师考试",
    ),
    "training_abroad": ("智能电网技术境外培训", "电力市场境外培训"),
}

# The scan types an employee attaches to each category, most likely first.
SCAN_TYPES: dict[str, tuple[str, ...]] = {
    "degree_study": (ScanType.TRANSCRIPT.value, ScanType.CERTIFICATE.value),
    "qualification_exam": (ScanType.CERTIFICATE.value,),
    "award": (ScanType.CERTIFICATE.value,),
    "patent": (ScanType.CERTIFICATE.value,),
    "face_to_face_training": (ScanType.NOTICE.value, ScanType.CERTIFICATE.value),
    "training_abroad": (ScanType.NOTICE.value, ScanType.INVOICE.value),
    "academic_conference": (ScanType.NOTICE.value, ScanType.OTHER.value),
}
DEFAULT_SCAN_TYPES = (ScanType.CERTIFICATE.value, ScanType.OTHER.value)

# Elective categories by how often they carry most of a year's hours.
_MAIN_ELECTIVES = (
    ("face_to_face_training", 35),
    ("online_course", 20),
    ("research_project", 8),
    ("teaching", 6),
    ("degree_study", 5),
    ("qualification_exam", 5),
    ("paper", 5),
    ("academic_conference", 4),
    ("patent", 3),
    ("award", 3),
    ("training_abroad", 3),
    ("standard", 2),
    ("book", 1),
)
_DESTINATIONS = ("德国", "新加坡", "日本", "法国", "瑞士", "澳大利亚")

# Categories whose activity lasts the number of days in its inputs.
_DAY_CATEGORIES = frozenset({"face_to_face_training", "training_abroad"})

PLAN_POOL_SIZES = {"compliant": 320, "short": 120, "partial": 80}


def draw_inputs(rng: random.Random, category: str) -> dict[str, str]:
    """Return raw form inputs of one activity, valid for the 2024 default rule set."""
    choice = rng.choice
    if category in ("public_subject",):
        return {"course_hours": choice(("10", "12", "14", "16", "18", "20", "24"))}
    if category == "compulsory_course":
        return {"course_hours": choice(("20", "24", "28", "30", "32", "36", "40"))}
    if category == "face_to_face_training":
        return {"days": choice(("2.5", "3", "4", "5", "6", "7", "8", "10"))}
    if category == "online_course":
        return {"course_hours": choice(("20", "30", "32", "40", "48", "60"))}
    if category == "degree_study":
        if rng.random() < 0.5:
            return {"study_mode": "full_year"}
        return {"study_mode": "courses", "courses_passed": str(rng.randint(2, 5))}
    if category == "academic_conference":
        return {
            "level": choice(("national", "provincial")),
            "paper": choice(("none", "none", "short", "long")),
        }
    if category in ("paper", "book"):
        return {"author_role": choice(("sole", "first", "other", "other"))}
    if category == "patent":
        return {
            "patent_type": choice(
                ("invention", "utility_model", "utility_model", "design")
            ),
            "rank": str(rng.randint(1, 5)),
        }
    if category == "standard":
        level = choice(
            ("international", "national", "industry", "enterprise", "enterprise")
        )
        return {"level": level, "rank": str(rng.randint(1, 5))}
    if category == "award":
        return {
            "level": choice(("national", "provincial", "municipal", "municipal")),
            "rank": str(rng.randint(1, 5)),
        }
    if category == "teaching":
        return {
            "teaching_type": choice(("course", "lecture")),
            "hours_taught": choice(("4", "6", "8", "12", "16")),
        }
    if category == "research_project":
        if rng.random() < 0.3:
            return {"level": "national", "rank": str(rng.randint(1, 5))}
        return {"level": "provincial", "rank": str(rng.randint(1, 3))}
    if category == "qualification_exam":
        return {"exams_passed": choice(("1", "1", "2"))}
    if category == "training_abroad":
        return {
            "days": choice(("3", "4", "5", "7")),
            "destination": choice(_DESTINATIONS),
        }
    raise KeyError(f"no input generator for category {category!r}")


@dataclass(frozen=True)
class PlanItem:
    category: str
    inputs: dict[str, str]
    name: str


@dataclass
class YearPlan:
    """The activities of one employee-year, with their conversion cached per year."""

    index: int
    items: tuple[PlanItem, ...]
    _summaries: dict[int, rules.YearSummary] = field(default_factory=dict)
    _dicts: dict[int, dict[str, Any]] = field(default_factory=dict)

    def summary(self, ruleset: rules.RuleSet, year: int) -> rules.YearSummary:
        """Convert the plan for a year, with each item's position as its line's ref."""
        if year not in self._summaries:
            entries = [
                (item.category, item.inputs, position)
                for position, item in enumerate(self.items)
            ]
            self._summaries[year] = rules.compute_year(ruleset, year, entries)
        return self._summaries[year]

    def summary_dict(self, ruleset: rules.RuleSet, year: int, ids: list[int]) -> dict:
        """Return `YearSummary.to_dict` of the plan with the activity ids as refs."""
        if year not in self._dicts:
            self._dicts[year] = self.summary(ruleset, year).to_dict()
        cached = self._dicts[year]
        lines = [{**line, "ref": ids[line["ref"]]} for line in cached["lines"]]
        return {**cached, "lines": lines}


class PlanBook:
    """Pools of year plans: compliant years, short years and years in progress."""

    def __init__(self, rng: random.Random, ruleset: rules.RuleSet) -> None:
        self.ruleset = ruleset
        self.categories = [category.code for category in ruleset.categories]
        self._rng = rng
        self._electives = [code for code, _ in _MAIN_ELECTIVES]
        self._elective_weights = [weight for _, weight in _MAIN_ELECTIVES]
        self.plans: list[YearPlan] = []
        self.compliant = self._pool(
            PLAN_POOL_SIZES["compliant"], self._compliant_items, True
        )
        self.short = self._pool(PLAN_POOL_SIZES["short"], self._short_items, False)
        self.partial = self._pool(PLAN_POOL_SIZES["partial"], self._partial_items, None)
        self._ensure_every_category()

    def _item(self, category: str) -> PlanItem:
        rng = self._rng
        return PlanItem(
            category, draw_inputs(rng, category), rng.choice(ACTIVITY_NAMES[category])
        )

    def _elective(self) -> str:
        return self._rng.choices(self._electives, self._elective_weights)[0]

    def _compliant_items(self) -> list[PlanItem]:
        items = [self._item("public_subject"), self._item("compulsory_course")]
        items.append(self._item(self._elective()))
        if self._rng.random() < 0.3:
            items.append(self._item(self._elective()))
        return items

    def _short_items(self) -> list[PlanItem]:
        rng = self._rng
        items = [self._item("compulsory_course"), self._item(self._elective())]
        if rng.random() < 0.5:
            public = PlanItem(
                "public_subject",
                {"course_hours": rng.choice(("4", "6", "8"))},
                rng.choice(ACTIVITY_NAMES["public_subject"]),
            )
            items.insert(0, public)
        return items

    def _partial_items(self) -> list[PlanItem]:
        count = self._rng.choice((0, 1, 1, 2))
        pool = [
            "public_subject",
            "compulsory_course",
            "online_course",
            "face_to_face_training",
        ]
        return [self._item(self._rng.choice(pool)) for _ in range(count)]

    def _pool(self, size: int, draw, compliant: bool | None) -> list[YearPlan]:
        pool: list[YearPlan] = []
        while len(pool) < size:
            plan = YearPlan(len(self.plans), tuple(draw()))
            if compliant is not None:
                # Any year converts the same way, because one rule set applies.
                if plan.summary(self.ruleset, 0).compliant != compliant:
                    continue
            self.plans.append(plan)
            pool.append(plan)
        return pool

    def _ensure_every_category(self) -> None:
        """Add one compliant plan per category that no drawn plan contains."""
        present = {item.category for plan in self.plans for item in plan.items}
        for category in self.categories:
            if category in present:
                continue
            items = (
                self._item("public_subject"),
                self._item("compulsory_course"),
                self._item("face_to_face_training"),
                self._item(category),
            )
            plan = YearPlan(len(self.plans), items)
            self.plans.append(plan)
            self.compliant.append(plan)

    def rare_category_plans(self) -> list[YearPlan]:
        """Return one plan per category, so that a small dataset still has them all."""
        chosen: dict[str, YearPlan] = {}
        for plan in self.plans:
            for item in plan.items:
                chosen.setdefault(item.category, plan)
        return [chosen[code] for code in self.categories]


def activity_dates(
    rng: random.Random, plan: YearPlan, year: int, latest: dt.date
) -> list[tuple[dt.date, dt.date | None]]:
    """Return start and end dates of the plan's items in ascending order within a year.

    The rules engine sums a year in (start date, id) order, so ascending
    dates in item order keep the cached conversion valid.
    """
    first = dt.date(year, 1, 1)
    last = min(dt.date(year, 12, 31), latest)
    span = max((last - first).days, 0)
    starts = sorted(
        first + dt.timedelta(days=int(rng.random() * (span + 1))) for _ in plan.items
    )
    dates = []
    for start, item in zip(starts, plan.items):
        end = None
        if item.category in _DAY_CATEGORIES:
            days = int(float(item.inputs["days"]) + 0.5)
            end = start + dt.timedelta(days=max(days - 1, 0))
        elif item.category == "academic_conference":
            end = start + dt.timedelta(days=1)
        dates.append((start, end))
    return dates


def build_snapshot(
    ruleset: rules.RuleSet,
    method: str,
    application_year: int,
    plans: dict[int, tuple[YearPlan, list[int]]],
    activities: list[dict[str, Any]],
) -> tuple[dict[str, Any], bool, dict[str, str], str]:
    """Assemble an application's frozen figures from cached conversions.

    `plans` maps each display year to its plan and the activity ids of its
    items. Returns (snapshot, compliant, year_hours, total_hours) with the
    same content as `record_submission` stores.
    """
    display = ruleset.display_years(application_year)
    required = ruleset.required_years(method, application_year)
    summaries = {year: plans[year][0].summary(ruleset, year) for year in display}
    year_dicts = {
        year: plans[year][0].summary_dict(ruleset, year, plans[year][1])
        for year in display
    }
    compliant = all(summaries[year].compliant for year in required)
    application_method = ruleset.method(method)

    # Budget.summaries keeps the order of the rule set's display offsets.
    ordered_years = [
        application_year + offset for offset in ruleset.display_year_offsets
    ]
    assessment = {
        "ruleset_version": ruleset.version,
        "policy_year": ruleset.policy_year,
        "method": application_method.code,
        "method_label": application_method.label,
        "application_year": application_year,
        "display_years": list(display),
        "required_years": list(required),
        "compliant": compliant,
        "years": [year_dicts[year] for year in display],
        "shortfalls_by_year": [
            {"year": year, "shortfalls": year_dicts[year]["shortfalls"]}
            for year in required
        ],
    }
    snapshot = {
        "ruleset_version": ruleset.version,
        "policy_year": ruleset.policy_year,
        "application_year": application_year,
        "method": method,
        "years": {str(year): year_dicts[year] for year in ordered_years},
        "assessment": assessment,
        "activities": activities,
    }
    year_hours = {
        str(year): rules.format_decimal(summaries[year].total("total"))
        for year in ordered_years
    }
    total = sum((summaries[year].total("total") for year in ordered_years), start=0)
    return snapshot, compliant, year_hours, rules.format_decimal(total)
