"""Review states of the national dataset's applications, replayed step by step.

Each application gets a target state and the reviewer steps that lead to it.
`replay` runs the steps with the same column changes as the transitions of
`app/workflow.py` and `record_submission`, so the stored row and its review
events agree with what the screens would have recorded.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from .glossary import ApplicationStatus, Decision, RoleName

PENDING = ApplicationStatus.PENDING.value
REVIEWED = ApplicationStatus.REVIEWED.value
RETURNED = ApplicationStatus.RETURNED.value
COMPLETED = ApplicationStatus.COMPLETED.value

FIRST = "first"
TOP = "top"
EMPLOYEE = "employee"

# Target state → steps after the submission, for a chain of city then province.
# A step is (who acts, action).
TWO_LEVEL_STEPS: dict[str, tuple[tuple[str, str], ...]] = {
    "pending_city": (),
    "passed_city": ((FIRST, "pass"),),
    "failed_city": ((FIRST, "fail"),),
    "returned": ((FIRST, "return"),),
    "resubmitted": ((FIRST, "return"), (EMPLOYEE, "resubmit")),
    "pending_province": ((FIRST, "pass"), (FIRST, "submit")),
    "pending_province_after_fail": ((FIRST, "fail"), (FIRST, "submit")),
    "returned_to_city": ((FIRST, "pass"), (FIRST, "submit"), (TOP, "return")),
    "passed_province": ((FIRST, "pass"), (FIRST, "submit"), (TOP, "pass")),
    "failed_province": ((FIRST, "pass"), (FIRST, "submit"), (TOP, "fail")),
    "completed_pass": (
        (FIRST, "pass"),
        (FIRST, "submit"),
        (TOP, "pass"),
        (TOP, "submit"),
    ),
    "completed_fail": (
        (FIRST, "pass"),
        (FIRST, "submit"),
        (TOP, "fail"),
        (TOP, "submit"),
    ),
}

# The same states for head-office staff, whose chain is the province alone.
ONE_LEVEL_STEPS: dict[str, tuple[tuple[str, str], ...]] = {
    "pending_city": (),
    "passed_city": ((TOP, "pass"),),
    "failed_city": ((TOP, "fail"),),
    "returned": ((TOP, "return"),),
    "resubmitted": ((TOP, "return"), (EMPLOYEE, "resubmit")),
    "pending_province": (),
    "pending_province_after_fail": (),
    "returned_to_city": ((TOP, "return"),),
    "passed_province": ((TOP, "pass"),),
    "failed_province": ((TOP, "fail"),),
    "completed_pass": ((TOP, "pass"), (TOP, "submit")),
    "completed_fail": ((TOP, "fail"), (TOP, "submit")),
}

# Share of each state in a season, in percent, and how far along it is
# (older submissions are further along).
STATE_WEIGHTS: dict[str, int] = {
    "pending_city": 26,
    "passed_city": 9,
    "failed_city": 3,
    "returned": 3,
    "resubmitted": 2,
    "pending_province": 15,
    "pending_province_after_fail": 3,
    "returned_to_city": 2,
    "passed_province": 7,
    "failed_province": 2,
    "completed_pass": 22,
    "completed_fail": 6,
}
STATE_PROGRESS: dict[str, int] = {
    "pending_city": 0,
    "passed_city": 1,
    "failed_city": 1,
    "returned": 1,
    "resubmitted": 1,
    "pending_province": 2,
    "pending_province_after_fail": 2,
    "returned_to_city": 3,
    "passed_province": 3,
    "failed_province": 3,
    "completed_pass": 4,
    "completed_fail": 4,
}

FAIL_REASONS = (
    "继续教育证明材料不全",
    "学时证明与系统填报内容不一致",
    "佐证材料未加盖单位公章",
)
EXCEPTION_FAIL_REASON = "破格理由不充分"
RETURN_REASONS = (
    "请补充公需科目学时证明",
    "佐证材料不清晰，请重新上传",
    "请核对专业科目学时后重新提交",
)

# Exception type code → an explanation an employee would write (情况说明).
EXCEPTION_REASONS: dict[str, str] = {
    "full_time_study": "本年度脱产攻读工程硕士学位，无法参加单位组织的公需科目培训。",
    "sick_or_maternity_leave": "本年度休产假五个月，未能完成全年继续教育学时。",
    "aid_assignment": "本年度援疆工作一年，当地无法参加本单位组织的专业课程。",
    "secondment": "本年度借调至上级单位工作，未参加原单位组织的培训。",
    "new_hire": "本人于本年度下半年入职，入职前的学时无法补足。",
    "other": "本年度承担重大工程抢修任务，培训计划多次推迟，特此说明。",
}


@dataclass
class ReplayedApplication:
    """The review columns of an application after its steps, and its events."""

    status: str = PENDING
    review_unit_id: int | None = None
    city_decision: str | None = None
    city_reason: str | None = None
    province_decision: str | None = None
    province_reason: str | None = None
    final_result: str | None = None
    return_reason: str | None = None
    version: int = 1
    events: list[tuple] = field(default_factory=list)


@dataclass(frozen=True)
class Chain:
    """An application's review chain and the accounts acting for each party."""

    applicant_id: int
    applicant_unit_id: int
    first_unit_id: int
    top_unit_id: int
    first_reviewer_id: int
    top_reviewer_id: int

    @property
    def has_city_level(self) -> bool:
        return self.first_unit_id != self.top_unit_id


def steps_for(state: str, chain: Chain) -> tuple[tuple[str, str], ...]:
    table = TWO_LEVEL_STEPS if chain.has_city_level else ONE_LEVEL_STEPS
    return table[state]


def step_times(
    rng: random.Random, submitted: dt.datetime, count: int, season_end: dt.datetime
) -> list[dt.datetime]:
    """Return `count` increasing times between a submission and the season's end."""
    times = []
    current = submitted
    for _ in range(count):
        remaining = (season_end - current).total_seconds()
        current = current + dt.timedelta(
            seconds=max(int(remaining * rng.uniform(0.1, 0.6)), 60)
        )
        times.append(current)
    return times


def replay(
    rng: random.Random,
    state: str,
    chain: Chain,
    submitted: dt.datetime,
    season_end: dt.datetime,
    is_exception: bool,
    exception_reason: str | None,
) -> ReplayedApplication:
    """Run the submission and a state's steps, and return the final columns and events.

    Each event is (actor id, role, unit id, action, from status, to status,
    reason, time), in the order the workflow would have written them.
    """
    row = ReplayedApplication(review_unit_id=chain.first_unit_id)
    row.events.append(
        (
            chain.applicant_id,
            RoleName.EMPLOYEE,
            chain.applicant_unit_id,
            "submit_application",
            None,
            PENDING,
            exception_reason,
            submitted,
        )
    )
    steps = steps_for(state, chain)
    for (party, action), when in zip(
        steps, step_times(rng, submitted, len(steps), season_end)
    ):
        if party == EMPLOYEE:
            _resubmit(row, chain, exception_reason, when)
            continue
        at_top = row.review_unit_id == chain.top_unit_id
        unit_id = chain.top_unit_id if at_top else chain.first_unit_id
        actor_id = chain.top_reviewer_id if at_top else chain.first_reviewer_id
        role = RoleName.PROVINCE_REVIEWER if at_top else RoleName.CITY_REVIEWER
        from_status = row.status
        reason = _apply(rng, row, chain, action, at_top, is_exception)
        row.version += 1
        row.events.append(
            (actor_id, role, unit_id, action, from_status, row.status, reason, when)
        )
    return row


def _apply(
    rng: random.Random,
    row: ReplayedApplication,
    chain: Chain,
    action: str,
    at_top: bool,
    is_exception: bool,
) -> str | None:
    """Change the row as `workflow._values_for` does and return the event's reason."""
    if action in ("pass", "fail"):
        value = Decision.PASS.value if action == "pass" else Decision.FAIL.value
        reason = None
        if action == "fail":
            reason = EXCEPTION_FAIL_REASON if is_exception else rng.choice(FAIL_REASONS)
        if at_top:
            row.province_decision, row.province_reason = value, reason
        else:
            row.city_decision, row.city_reason = value, reason
        row.status = REVIEWED
        return reason
    if action == "return":
        reason = rng.choice(RETURN_REASONS)
        back_to_city = at_top and chain.has_city_level
        row.status = PENDING if back_to_city else RETURNED
        row.review_unit_id = chain.first_unit_id if back_to_city else None
        row.city_decision = row.city_reason = None
        row.province_decision = row.province_reason = None
        row.return_reason = reason
        return reason
    if action == "submit":
        if at_top:
            row.status = COMPLETED
            row.final_result = row.province_decision
            row.review_unit_id = None
        else:
            row.status = PENDING
            row.review_unit_id = chain.top_unit_id
        return None
    raise ValueError(f"unknown review action {action!r}")


def _resubmit(
    row: ReplayedApplication, chain: Chain, reason: str | None, when: dt.datetime
) -> None:
    """Resubmit a returned application as `record_submission` does."""
    row.events.append(
        (
            chain.applicant_id,
            RoleName.EMPLOYEE,
            chain.applicant_unit_id,
            "submit_application",
            row.status,
            PENDING,
            reason,
            when,
        )
    )
    row.status = PENDING
    row.review_unit_id = chain.first_unit_id
    row.city_decision = row.city_reason = None
    row.province_decision = row.province_reason = None
    row.final_result = None
    row.version += 1
