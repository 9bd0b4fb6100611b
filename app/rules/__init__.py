"""Rules engine for converting continuing-education activities to credit hours.

The package imports nothing from Flask or SQLAlchemy: plain values go in, and
figures with their working come out. Rule sets are JSON files under `data/`, one
per policy year.
"""

from .compute import (
    ActivityEntry,
    assess_application,
    compute_activity,
    compute_year,
    describe_shortfalls,
)
from .errors import FormulaError, InvalidInputError, InvalidRuleSetError, RuleSetError
from .formula import FormulaContext, analyse_formula, evaluate_formula
from .inputs import InputValue, RawInput, validate_inputs
from .numbers import HOURS_QUANTUM, format_decimal, round_hours
from .results import ActivityHours, ActivityLine, Assessment, Shortfall, YearSummary
from .ruleset import (
    ApplicationMethod,
    Bucket,
    Category,
    ChoiceOption,
    ExceptionType,
    InputSpec,
    Requirement,
    RuleSet,
    available_policy_years,
    load_ruleset,
)

__all__ = [
    "HOURS_QUANTUM",
    "ActivityEntry",
    "ActivityHours",
    "ActivityLine",
    "ApplicationMethod",
    "Assessment",
    "Bucket",
    "Category",
    "ChoiceOption",
    "ExceptionType",
    "FormulaContext",
    "FormulaError",
    "InputSpec",
    "InputValue",
    "InvalidInputError",
    "InvalidRuleSetError",
    "RawInput",
    "Requirement",
    "RuleSet",
    "RuleSetError",
    "Shortfall",
    "YearSummary",
    "analyse_formula",
    "assess_application",
    "available_policy_years",
    "compute_activity",
    "compute_year",
    "describe_shortfalls",
    "evaluate_formula",
    "format_decimal",
    "load_ruleset",
    "round_hours",
    "validate_inputs",
]
