"""Tests of the rules engine: formulas, caps, requirements, validation, round trip."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from app.rules import (
    FormulaContext,
    FormulaError,
    InvalidInputError,
    InvalidRuleSetError,
    RuleSet,
    RuleSetError,
    Shortfall,
    YearSummary,
    assess_application,
    compute_activity,
    compute_year,
    describe_shortfalls,
    evaluate_formula,
    load_ruleset,
    validate_inputs,
)
from app.rules.ruleset import DATA_DIR

RULESET = load_ruleset(2024)
BASE = RULESET.to_dict()


def variant(change: Callable[[dict], None]) -> RuleSet:
    """Return the 2024 rule set with `change` applied to a copy of its dict."""
    data = copy.deepcopy(BASE)
    change(data)
    return RuleSet.from_dict(data)


def category_data(data: dict, code: str) -> dict:
    return next(c for c in data["categories"] if c["code"] == code)


def input_data(data: dict, code: str, name: str) -> dict:
    return next(i for i in category_data(data, code)["inputs"] if i["name"] == name)


def requirement_data(data: dict, code: str) -> dict:
    return next(r for r in data["requirements"] if r["code"] == code)


def set_category(code: str, key: str, value: object) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        category_data(data, code)[key] = value

    return change


def hours_year(
    ruleset: RuleSet, year: int, public: str, compulsory: str, elective: str
) -> YearSummary:
    """Compute a year from one activity per bucket; "0" leaves the bucket empty."""
    activities = []
    for code, hours in (
        ("public_subject", public),
        ("compulsory_course", compulsory),
        ("online_course", elective),
    ):
        if Decimal(hours) > 0:
            activities.append((code, {"course_hours": hours}, f"{code}-{year}"))
    return compute_year(ruleset, year, activities)


# --- formulas and workings of every category --------------------------------

CATEGORY_CASES = [
    ("public_subject", {"course_hours": "12"}, "12", "公需科目 12学时（按课程标明学时计）"),
    ("compulsory_course", {"course_hours": "20"}, "20", "必修专业课 20学时（按课程标明学时计）"),
    ("face_to_face_training", {"days": "3"}, "24", "3天 × 8学时/天 = 24学时"),
    ("face_to_face_training", {"days": "0.5"}, "4", "0.5天 × 8学时/天 = 4学时"),
    ("face_to_face_training", {"days": "2.5"}, "20", "2.5天 × 8学时/天 = 20学时"),
    ("online_course", {"course_hours": "6"}, "6", "网络课程 6学时（按课程标明学时计）"),
    ("online_course", {"course_hours": "1.25"}, "1.3", "网络课程 1.3学时（按课程标明学时计）"),
    ("online_course", {"course_hours": "1.24"}, "1.2", "网络课程 1.2学时（按课程标明学时计）"),
    (
        "degree_study",
        {"study_mode": "courses", "courses_passed": "3"},
        "45",
        "通过课程 3门 × 15学时/门 = 45学时",
    ),
    ("degree_study", {"study_mode": "full_year"}, "72", "全学年学历学位教育 72学时"),
    (
        "degree_study",
        {"study_mode": "full_year", "courses_passed": "abc"},
        "72",
        "全学年学历学位教育 72学时",
    ),
    (
        "academic_conference",
        {"level": "national", "paper": "none"},
        "12",
        "国家级学术会议 12学时",
    ),
    (
        "academic_conference",
        {"level": "provincial", "paper": "none"},
        "8",
        "省级学术会议 8学时",
    ),
    (
        "academic_conference",
        {"level": "national", "paper": "short"},
        "18",
        "国家级学术会议 12学时 + 宣读论文（不足2000字） 6学时 = 18学时",
    ),
    (
        "academic_conference",
        {"level": "provincial", "paper": "long"},
        "16",
        "省级学术会议 8学时 + 宣读论文（2000字及以上） 8学时 = 16学时",
    ),
    ("paper", {"author_role": "sole"}, "40", "论文（独著）40学时"),
    ("paper", {"author_role": "first"}, "40", "论文（第一作者）40学时"),
    ("paper", {"author_role": "other"}, "20", "论文（其他作者）20学时"),
    ("book", {"author_role": "first"}, "40", "著作（第一作者）40学时"),
    ("book", {"author_role": "other"}, "20", "著作（其他作者）20学时"),
    ("patent", {"patent_type": "invention", "rank": "1"}, "40", "发明专利（第1完成人）40学时"),
    (
        "patent",
        {"patent_type": "utility_model", "rank": "2"},
        "16",
        "实用新型专利（第2完成人）16学时",
    ),
    ("patent", {"patent_type": "design", "rank": "5"}, "2", "外观设计专利（第5完成人）2学时"),
    ("standard", {"level": "international", "rank": "1"}, "60", "国际标准（第1起草人）60学时"),
    ("standard", {"level": "enterprise", "rank": "3"}, "12", "企业标准（第3起草人）12学时"),
    ("award", {"level": "national", "rank": "2"}, "50", "国家级获奖（第2完成人）50学时"),
    ("award", {"level": "municipal", "rank": "5"}, "4", "地市级获奖（第5完成人）4学时"),
    (
        "teaching",
        {"teaching_type": "course", "hours_taught": "3"},
        "6",
        "授课 3学时 × 2 = 6学时",
    ),
    (
        "teaching",
        {"teaching_type": "lecture", "hours_taught": "2"},
        "6",
        "讲座 2学时 × 3 = 6学时",
    ),
    ("research_project", {"level": "national", "rank": "1"}, "64", "国家级主体项目（第1名）64学时"),
    ("research_project", {"level": "national", "rank": "2"}, "56", "国家级主体项目（第2名）56学时"),
    ("research_project", {"level": "national", "rank": "3"}, "48", "国家级主体项目（第3名）48学时"),
    ("research_project", {"level": "national", "rank": "4"}, "40", "国家级主体项目（第4名）40学时"),
    ("research_project", {"level": "national", "rank": "5"}, "32", "国家级主体项目（第5名）32学时"),
    (
        "research_project",
        {"level": "provincial", "rank": "1"},
        "56",
        "省部级主体项目（第1名）56学时",
    ),
    (
        "research_project",
        {"level": "provincial", "rank": "2"},
        "48",
        "省部级主体项目（第2名）48学时",
    ),
    (
        "research_project",
        {"level": "provincial", "rank": "3"},
        "40",
        "省部级主体项目（第3名）40学时",
    ),
    ("qualification_exam", {"exams_passed": "1"}, "40", "通过 1项 × 40学时/项 = 40学时"),
    ("qualification_exam", {"exams_passed": "2"}, "80", "通过 2项 × 40学时/项 = 80学时"),
    ("training_abroad", {"days": "3"}, "24", "3天 × 8学时/天 = 24学时"),
]


@pytest.mark.parametrize(("code", "raw", "hours", "working"), CATEGORY_CASES)
def test_category_hours_and_working(code, raw, hours, working):
    activity = compute_activity(RULESET.category(code), raw)

    assert activity.hours == Decimal(hours)
    assert activity.working == working
    assert activity.capped is False
    assert activity.category_code == code


def test_category_cases_cover_every_category():
    covered = {case[0] for case in CATEGORY_CASES}
    assert covered == {category.code for category in RULESET.categories}


@pytest.mark.parametrize(
    ("code", "bucket"),
    [
        ("public_subject", "public"),
        ("compulsory_course", "compulsory"),
        ("face_to_face_training", "elective"),
        ("research_project", "elective"),
        ("training_abroad", "elective"),
    ],
)
def test_category_bucket(code, bucket):
    assert RULESET.category(code).bucket == bucket
    assert compute_activity(RULESET.category(code), _typical(code)).bucket == bucket


def _typical(code: str) -> dict[str, str]:
    return next(raw for case_code, raw, _, _ in CATEGORY_CASES if case_code == code)


def test_compute_activity_accepts_typed_values():
    activity = compute_activity(
        RULESET.category("face_to_face_training"), {"days": Decimal("1.5")}
    )
    assert activity.hours == Decimal("12")


def test_compute_activity_rejects_invalid_values():
    with pytest.raises(InvalidInputError) as raised:
        compute_activity(
            RULESET.category("research_project"), {"level": "provincial", "rank": "4"}
        )
    assert raised.value.category_code == "research_project"
    assert set(raised.value.errors) == {"rank"}


# --- caps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cap", "days", "hours", "capped", "working"),
    [
        ("30", "3.5", "28", False, "3.5天 × 8学时/天 = 28学时"),
        ("28", "3.5", "28", False, "3.5天 × 8学时/天 = 28学时"),
        ("30", "4", "30", True, "4天 × 8学时/天 = 32学时，单项上限 30学时，计 30学时"),
        ("30", "5", "30", True, "5天 × 8学时/天 = 40学时，单项上限 30学时，计 30学时"),
        ("27.5", "3.5", "27.5", True, "3.5天 × 8学时/天 = 28学时，单项上限 27.5学时，计 27.5学时"),
    ],
)
def test_cap_per_item(cap, days, hours, capped, working):
    ruleset = variant(set_category("training_abroad", "cap_per_item", cap))
    activity = compute_activity(ruleset.category("training_abroad"), {"days": days})

    assert activity.hours == Decimal(hours)
    assert activity.capped is capped
    assert activity.working == working
    assert activity.uncapped_hours == Decimal(days) * 8


def test_training_abroad_default_cap():
    assert RULESET.category("training_abroad").cap_per_item == Decimal("30")


@pytest.mark.parametrize(
    ("days_list", "counted", "year_capped", "last_working"),
    [
        (["3"], ["24"], [False], "3天 × 8学时/天 = 24学时"),
        (["3", "2"], ["24", "16"], [False, False], "2天 × 8学时/天 = 16学时"),
        (
            ["3", "3"],
            ["24", "16"],
            [False, True],
            "3天 × 8学时/天 = 24学时；本年度 面授培训 上限 40学时，此前已计 24学时，本项计 16学时",
        ),
        (
            ["5", "1"],
            ["40", "0"],
            [False, True],
            "1天 × 8学时/天 = 8学时；本年度 面授培训 上限 40学时，已计满，本项计 0学时",
        ),
        (
            ["6"],
            ["40"],
            [True],
            "6天 × 8学时/天 = 48学时；本年度 面授培训 上限 40学时，此前已计 0学时，本项计 40学时",
        ),
    ],
)
def test_cap_per_year(days_list, counted, year_capped, last_working):
    ruleset = variant(set_category("face_to_face_training", "cap_per_year", "40"))
    activities = [
        ("face_to_face_training", {"days": days}, index)
        for index, days in enumerate(days_list)
    ]
    summary = compute_year(ruleset, 2023, activities)

    assert [line.hours for line in summary.lines] == [Decimal(h) for h in counted]
    assert [line.year_capped for line in summary.lines] == year_capped
    assert summary.lines[-1].working == last_working
    assert summary.total("elective") == sum(Decimal(h) for h in counted)


def test_cap_per_year_counts_only_its_category():
    ruleset = variant(set_category("face_to_face_training", "cap_per_year", "40"))
    activities = [
        ("online_course", {"course_hours": "30"}, "a"),
        ("face_to_face_training", {"days": "5"}, "b"),
    ]
    summary = compute_year(ruleset, 2023, activities)

    assert summary.lines[1].hours == Decimal("40")
    assert summary.lines[1].year_capped is False
    assert summary.total("elective") == Decimal("70")


def test_cap_per_year_after_cap_per_item():
    ruleset = variant(set_category("training_abroad", "cap_per_year", "50"))
    activities = [
        ("training_abroad", {"days": "5"}, "trip-1"),
        ("training_abroad", {"days": "5"}, "trip-2"),
    ]
    summary = compute_year(ruleset, 2023, activities)
    second = summary.lines[1]

    assert [line.hours for line in summary.lines] == [Decimal("30"), Decimal("20")]
    assert second.capped is True
    assert second.year_capped is True
    assert second.item_hours == Decimal("30")
    assert second.working == (
        "5天 × 8学时/天 = 40学时，单项上限 30学时，计 30学时；"
        "本年度 境外培训 上限 50学时，此前已计 30学时，本项计 20学时"
    )


# --- yearly requirement ---------------------------------------------------------


@pytest.mark.parametrize(
    ("public", "compulsory", "elective", "short"),
    [
        ("9.5", "20", "60.5", ["public"]),
        ("10", "20", "60", []),
        ("10.5", "20", "59.5", []),
        ("30", "19.5", "40.5", ["compulsory"]),
        ("30", "20", "40", []),
        ("30.5", "20", "39.5", ["professional"]),
        ("29.5", "20.5", "40", []),
        ("29.5", "20", "40", ["total"]),
        ("0", "0", "0", ["public", "compulsory", "professional", "total"]),
    ],
)
def test_requirement_thresholds(public, compulsory, elective, short):
    summary = hours_year(RULESET, 2023, public, compulsory, elective)

    assert [shortfall.bucket for shortfall in summary.shortfalls] == short
    assert summary.compliant is (not short)
    assert summary.total("professional") == Decimal(compulsory) + Decimal(elective)
    expected_total = Decimal(public) + Decimal(compulsory) + Decimal(elective)
    assert summary.total("total") == expected_total


def test_shortfall_figures():
    summary = hours_year(RULESET, 2023, "8", "20", "62")
    expected = Shortfall("public", "公需科目", Decimal("8"), Decimal("10"))
    assert summary.shortfalls == (expected,)
    assert summary.shortfalls[0].missing == Decimal("2")


def test_year_totals_keys_in_order():
    summary = hours_year(RULESET, 2023, "10", "20", "60")
    expected = ["public", "compulsory", "elective", "professional", "total"]
    assert list(summary.totals) == expected


def test_year_lines_pass_ref_through():
    record = object()
    summary = compute_year(RULESET, 2023, [("paper", {"author_role": "first"}, record)])
    assert summary.lines[0].ref is record
    assert summary.lines[0].category_label == "论文"


def test_year_invalid_activity_reports_ref():
    with pytest.raises(InvalidInputError) as raised:
        compute_year(RULESET, 2023, [("paper", {"author_role": "editor"}, 17)])
    assert raised.value.ref == 17


def test_year_unknown_category():
    with pytest.raises(KeyError):
        compute_year(RULESET, 2023, [("poetry", {}, 1)])


# --- application methods and assessment ---------------------------------------


@pytest.mark.parametrize(
    ("method", "year", "required"),
    [
        ("review", 2024, (2021, 2022, 2023)),
        ("recognition", 2024, (2023,)),
        ("评审", 2025, (2022, 2023, 2024)),
        ("认定", 2025, (2024,)),
    ],
)
def test_required_years_per_method(method, year, required):
    assert RULESET.required_years(method, year) == required


def test_display_years_four_year_table():
    assert RULESET.display_years(2024) == (2021, 2022, 2023, 2024)


def _summaries(short_years: dict[int, tuple[str, str, str]]) -> dict[int, YearSummary]:
    """Return compliant summaries for 2021–2024, overriding the years in short_years."""
    summaries = {}
    for year in (2021, 2022, 2023, 2024):
        public, compulsory, elective = short_years.get(year, ("10", "20", "60"))
        summaries[year] = hours_year(RULESET, year, public, compulsory, elective)
    return summaries


@pytest.mark.parametrize(
    ("method", "short_years", "compliant", "message"),
    [
        ("review", {}, True, ""),
        ("review", {2023: ("8", "20", "62")}, False, "2023年 公需科目 8学时，少于 10学时。"),
        ("recognition", {2023: ("8", "20", "62")}, False, "2023年 公需科目 8学时，少于 10学时。"),
        ("recognition", {2021: ("8", "20", "62")}, True, ""),
        ("review", {2021: ("8", "20", "62")}, False, "2021年 公需科目 8学时，少于 10学时。"),
        ("review", {2024: ("0", "0", "0")}, True, ""),
        (
            "review",
            {2022: ("10", "19.5", "40"), 2023: ("30", "20", "39.5")},
            False,
            "2022年 必修专业课 19.5学时，少于 20学时；"
            "2022年 专业科目 59.5学时，少于 60学时；"
            "2022年 总学时 69.5学时，少于 90学时；"
            "2023年 专业科目 59.5学时，少于 60学时；"
            "2023年 总学时 89.5学时，少于 90学时。",
        ),
    ],
)
def test_assess_application(method, short_years, compliant, message):
    assessment = assess_application(RULESET, method, 2024, _summaries(short_years))

    assert assessment.compliant is compliant
    assert describe_shortfalls(assessment) == message
    assert set(assessment.shortfalls_by_year) == set(assessment.required_years)


def test_assess_missing_year_counts_as_empty():
    summaries = _summaries({})
    del summaries[2022]
    assessment = assess_application(RULESET, "review", 2024, summaries)

    assert assessment.compliant is False
    assert describe_shortfalls(assessment) == (
        "2022年 公需科目 0学时，少于 10学时；2022年 必修专业课 0学时，少于 20学时；"
        "2022年 专业科目 0学时，少于 60学时；2022年 总学时 0学时，少于 90学时。"
    )
    assert assessment.years[2022].lines == ()


def test_assess_unknown_method():
    with pytest.raises(KeyError):
        assess_application(RULESET, "lottery", 2024, {})


def test_assessment_snapshot_is_json():
    assessment = assess_application(
        RULESET, "review", 2024, _summaries({2023: ("8", "20", "62")})
    )
    snapshot = json.loads(json.dumps(assessment.to_dict(), ensure_ascii=False))

    assert snapshot["ruleset_version"] == "2024.1"
    assert snapshot["method_label"] == "评审"
    assert snapshot["compliant"] is False
    assert [year["year"] for year in snapshot["years"]] == [2021, 2022, 2023, 2024]
    first_line = snapshot["years"][0]["lines"][0]
    assert first_line["working"] == "公需科目 10学时（按课程标明学时计）"
    assert first_line["hours"] == "10"
    assert first_line["ref"] == "public_subject-2021"
    short_2023 = next(y for y in snapshot["shortfalls_by_year"] if y["year"] == 2023)
    assert short_2023["shortfalls"] == [
        {"bucket": "public", "label_zh": "公需科目", "have": "8", "need": "10"}
    ]


# --- input validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "raw", "field", "message"),
    [
        ("face_to_face_training", {"days": "-1"}, "days", "培训天数应大于 0，当前为 -1天。"),
        ("face_to_face_training", {"days": "0"}, "days", "培训天数应大于 0，当前为 0天。"),
        ("face_to_face_training", {"days": ""}, "days", "请填写培训天数。"),
        ("face_to_face_training", {}, "days", "请填写培训天数。"),
        ("face_to_face_training", {"days": None}, "days", "请填写培训天数。"),
        ("face_to_face_training", {"days": "abc"}, "days", "培训天数应为数字，当前为“abc”。"),
        ("face_to_face_training", {"days": "1e3"}, "days", "培训天数应为数字，当前为“1e3”。"),
        ("face_to_face_training", {"days": "NaN"}, "days", "培训天数应为数字，当前为“NaN”。"),
        (
            "face_to_face_training",
            {"days": "1.3"},
            "days",
            "培训天数应为 0.5天 的整数倍，当前为 1.3天。",
        ),
        (
            "face_to_face_training",
            {"days": "0.25"},
            "days",
            "培训天数不能小于 0.5天，当前为 0.25天。",
        ),
        (
            "face_to_face_training",
            {"days": "400"},
            "days",
            "培训天数不能大于 365天，当前为 400天。",
        ),
        (
            "qualification_exam",
            {"exams_passed": "1.5"},
            "exams_passed",
            "通过考试项数应为整数，当前为“1.5”。",
        ),
        (
            "research_project",
            {"level": "provincial", "rank": "4"},
            "rank",
            "排名 4 超出省部级主体项目的折算表范围，可填 1–3。",
        ),
        (
            "research_project",
            {"level": "national", "rank": "6"},
            "rank",
            "排名 6 超出国家级主体项目的折算表范围，可填 1–5。",
        ),
        (
            "research_project",
            {"level": "national", "rank": "0"},
            "rank",
            "排名应大于 0，当前为 0名。",
        ),
        (
            "research_project",
            {"level": "city", "rank": "1"},
            "level",
            "项目级别的选项“city”无效，可选：国家级主体项目、省部级主体项目。",
        ),
        (
            "paper",
            {"author_role": "chief"},
            "author_role",
            "作者排序的选项“chief”无效，可选：独著、第一作者、其他作者。",
        ),
        ("academic_conference", {"level": "national"}, "paper", "请选择宣读论文。"),
        (
            "degree_study",
            {"study_mode": "courses"},
            "courses_passed",
            "请填写通过课程门数。",
        ),
        (
            "training_abroad",
            {"days": "2", "destination": "新" * 51},
            "destination",
            "国家或地区不能超过 50 个字符。",
        ),
    ],
)
def test_input_validation_errors(code, raw, field, message):
    values, errors = validate_inputs(RULESET.category(code), raw)

    assert errors[field] == message
    assert values[field] is None


@pytest.mark.parametrize(
    ("code", "raw", "field", "expected"),
    [
        ("face_to_face_training", {"days": "３．５"}, "days", Decimal("3.5")),
        ("face_to_face_training", {"days": "　２　"}, "days", Decimal("2")),
        ("public_subject", {"course_hours": "１２.５"}, "course_hours", Decimal("12.5")),
        ("qualification_exam", {"exams_passed": "２"}, "exams_passed", 2),
        ("research_project", {"level": "national", "rank": "３"}, "rank", 3),
        ("qualification_exam", {"exams_passed": "2.0"}, "exams_passed", 2),
        ("training_abroad", {"days": "2", "destination": " 德国 "}, "destination", "德国"),
        ("training_abroad", {"days": "2"}, "destination", None),
        (
            "degree_study",
            {"study_mode": "full_year", "courses_passed": "x"},
            "courses_passed",
            None,
        ),
    ],
)
def test_input_validation_accepts(code, raw, field, expected):
    values, errors = validate_inputs(RULESET.category(code), raw)

    assert errors == {}
    assert values[field] == expected
    assert type(values[field]) is type(expected)


def test_input_validation_reports_every_field():
    _, errors = validate_inputs(RULESET.category("teaching"), {"hours_taught": "-2"})
    assert set(errors) == {"teaching_type", "hours_taught"}


# --- formula language ------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 / 4", "2.5"),
        ("0.1 + 0.2", "0.3"),
        ("-2 + 5", "3"),
        ("min(3, 5, 4)", "3"),
        ("max(3, 5)", "5"),
        ("days * 8", "28"),
        ("value(level) + 1", "13"),
        ('table("t", level, rank)', "56"),
        ('72 if level == "national" else days', "72"),
        ('72 if level != "national" else days', "3.5"),
    ],
)
def test_formula_evaluation(formula, expected):
    context = FormulaContext(
        values={"days": Decimal("3.5"), "level": "national", "rank": 2},
        option_values={"level": {"national": Decimal("12")}},
        tables={"t": {"national": {"1": Decimal("64"), "2": Decimal("56")}}},
    )
    assert evaluate_formula(formula, context) == Decimal(expected)


@pytest.mark.parametrize(
    "formula",
    [
        "__import__('os').system('true')",
        "days.real",
        "days ** 2",
        "[1, 2]",
        "'text'",
        "lambda: 1",
        "open(1)",
        "min()",
        "days if days else 1",
        "days *",
        "0x10",
        "",
    ],
)
def test_formula_rejects_outside_language(formula):
    with pytest.raises(FormulaError):
        evaluate_formula(formula, FormulaContext(values={"days": Decimal(1)}))


def test_formula_division_by_zero():
    with pytest.raises(FormulaError):
        evaluate_formula("days / 0", FormulaContext(values={"days": Decimal(1)}))


# --- rule-set validation ---------------------------------------------------------


def test_default_ruleset_is_valid():
    assert RULESET.validate() == []


def _set_requirement(code: str, minimum: str) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        requirement_data(data, code)["minimum"] = minimum

    return change


def _duplicate_code(data: dict) -> None:
    category_data(data, "book")["code"] = "paper"


def _drop_table_row(data: dict) -> None:
    del category_data(data, "research_project")["tables"]["hours_by_rank"]["provincial"]


def _min_above_max(data: dict) -> None:
    input_data(data, "face_to_face_training", "days")["min"] = "400"


def _required_not_displayed(data: dict) -> None:
    data["application_methods"][0]["required_year_offsets"] = [-4, -3, -2, -1]


def _unknown_requirement_bucket(data: dict) -> None:
    requirement_data(data, "total")["buckets"].append("bonus")


RULESET_ERROR_CASES = [
    (
        set_category("face_to_face_training", "formula", "days * rate"),
        "categories[face_to_face_training].formula",
        "公式引用了未知的输入“rate”",
    ),
    (
        set_category("training_abroad", "cap_per_item", "-5"),
        "categories[training_abroad].cap_per_item",
        "上限应大于 0，当前为 -5",
    ),
    (
        set_category("online_course", "cap_per_year", "0"),
        "categories[online_course].cap_per_year",
        "上限应大于 0，当前为 0",
    ),
    (
        _set_requirement("total", "60"),
        "requirements[total].minimum",
        "公需科目、专业科目的最低学时之和 70 超过总学时的最低学时 60",
    ),
    (
        _set_requirement("compulsory", "70"),
        "requirements[professional].minimum",
        "必修专业课的最低学时 70 超过专业科目的最低学时 60",
    ),
    (
        _set_requirement("public", "-1"),
        "requirements[public].minimum",
        "最低学时不能为负数",
    ),
    (
        _unknown_requirement_bucket,
        "requirements[total].buckets",
        "未知的学时类别“bonus”",
    ),
    (
        set_category("paper", "bucket", "research"),
        "categories[paper].bucket",
        "未知的学时类别“research”",
    ),
    (_duplicate_code, "categories[paper]", "业绩类别代码“paper”重复"),
    (
        _required_not_displayed,
        "application_methods[review].required_year_offsets",
        "考核年度偏移 -4 不在展示年度 display_year_offsets 中",
    ),
    (
        set_category("face_to_face_training", "formula", "days ** 2"),
        "categories[face_to_face_training].formula",
        "公式中不允许使用“days ** 2”。",
    ),
    (
        set_category("face_to_face_training", "formula", "days *"),
        "categories[face_to_face_training].formula",
        "公式语法错误，请检查括号、运算符和引号。",
    ),
    (
        set_category("paper", "formula", "author_role * 2"),
        "categories[paper].formula",
        "选项输入“author_role”应写成 value(author_role)",
    ),
    (
        set_category("patent", "formula", "value(patent_type)"),
        "categories[patent].formula",
        "输入“patent_type”的每个选项都需要 value 才能用于 value()",
    ),
    (
        set_category("research_project", "formula", 'table("missing", level, rank)'),
        "categories[research_project].formula",
        "公式引用了未定义的折算表“missing”",
    ),
    (
        _drop_table_row,
        "categories[research_project].formula",
        "折算表“hours_by_rank”缺少选项“provincial”对应的行",
    ),
    (
        set_category("degree_study", "formula", '72 if study_mode == "full" else 15'),
        "categories[degree_study].formula",
        "条件中的输入“study_mode”没有选项“full”",
    ),
    (
        set_category("face_to_face_training", "working", "{dayz}天"),
        "categories[face_to_face_training].working",
        "说明模板引用了未知的输入“dayz”",
    ),
    (
        _min_above_max,
        "categories[face_to_face_training].inputs[days].min",
        "最小值大于最大值",
    ),
]


@pytest.mark.parametrize(("change", "field_path", "message"), RULESET_ERROR_CASES)
def test_ruleset_validation_errors(change, field_path, message):
    errors = variant(change).validate()
    assert RuleSetError(field_path, message) in errors


@pytest.mark.parametrize(
    ("change", "field_path"),
    [
        (lambda data: data.pop("categories"), "categories"),
        (lambda data: data.update(policy_year="2024"), "policy_year"),
        (
            lambda data: input_data(data, "paper", "author_role")["options"][0].update(
                value="forty"
            ),
            "categories[paper].inputs[author_role].options[sole].value",
        ),
        (
            lambda data: category_data(data, "training_abroad").update(
                cap_per_item=30.5
            ),
            "categories[training_abroad].cap_per_item",
        ),
    ],
)
def test_ruleset_from_dict_rejects_malformed(change, field_path):
    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(InvalidRuleSetError) as raised:
        RuleSet.from_dict(data)
    assert [error.field_path for error in raised.value.errors] == [field_path]


# --- serialisation and loading ---------------------------------------------------


def test_ruleset_round_trip():
    assert RuleSet.from_dict(RULESET.to_dict()) == RULESET


def test_ruleset_round_trip_through_json():
    text = json.dumps(RULESET.to_dict(), ensure_ascii=False)
    assert RuleSet.from_dict(json.loads(text)) == RULESET


def test_ruleset_round_trip_keeps_changes():
    changed = variant(set_category("teaching", "cap_per_year", "24"))
    restored = RuleSet.from_dict(changed.to_dict())

    assert restored.category("teaching").cap_per_year == Decimal("24")
    assert restored != RULESET


def test_ruleset_file_matches_round_trip():
    raw = json.loads((DATA_DIR / "ruleset-2024.json").read_text(encoding="utf-8"))
    assert RuleSet.from_dict(raw) == RULESET


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Return a data folder holding the 2024 rule set and a 2026 copy of it."""
    shutil.copy(DATA_DIR / "ruleset-2024.json", tmp_path / "ruleset-2024.json")
    data = copy.deepcopy(BASE)
    data.update(policy_year=2026, version="2026.1")
    (tmp_path / "ruleset-2026.json").write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("policy_year", "version"),
    [
        (None, "2026.1"),
        (2024, "2024.1"),
        (2025, "2024.1"),
        (2026, "2026.1"),
        (2030, "2026.1"),
    ],
)
def test_load_ruleset_picks_newest_not_after(data_dir, policy_year, version):
    assert load_ruleset(policy_year, data_dir=data_dir).version == version


def test_load_ruleset_before_first_year(data_dir):
    with pytest.raises(LookupError):
        load_ruleset(2023, data_dir=data_dir)


def test_load_ruleset_rejects_invalid_file(tmp_path):
    data = copy.deepcopy(BASE)
    category_data(data, "paper")["bucket"] = "research"
    (tmp_path / "ruleset-2024.json").write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(InvalidRuleSetError) as raised:
        load_ruleset(2024, data_dir=tmp_path)
    assert raised.value.errors == [
        RuleSetError("categories[paper].bucket", "未知的学时类别“research”")
    ]


def test_ruleset_lookups():
    assert RULESET.method("认定").code == "recognition"
    assert [t.label for t in RULESET.exception_types] == [
        "脱产学习",
        "病假/产假",
        "援藏/援疆/援外",
        "挂职/借调",
        "新入职",
        "其他",
    ]
    with pytest.raises(KeyError):
        RULESET.category("poetry")


def test_package_imports_no_framework():
    # The package is imported on its own, as top-level "rules", because importing
    # it as app.rules would also run app/__init__.py, which does import Flask.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import rules; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'flask_appbuilder', 'sqlalchemy')))"
    )
    app_dir = Path(__file__).resolve().parent.parent / "app"
    result = subprocess.run(
        [sys.executable, "-I", "-c", code, str(app_dir)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
