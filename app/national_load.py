"""The bulk of the national dataset: activities, evidence, applications, review events.

One pass over the employees writes all four tables. Each employee's rows
are complete before the next employee starts, and the buffers are flushed
in foreign-key order (activities, evidence, applications, events), so a
flush never refers to a row that is not stored yet.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass

from . import rules
from .national_accounts import Employee
from .national_activities import (
    DEFAULT_SCAN_TYPES,
    SCAN_TYPES,
    PlanBook,
    PlanItem,
    YearPlan,
    activity_dates,
    build_snapshot,
)
from .national_applications import EXCEPTION_REASONS, Chain, replay
from .national_bulk import BulkWriter, iso_timestamp
from .national_files import SampleFile
from .national_people import name_pinyin

ACTIVITY_COLUMNS = (
    "id", "owner_id", "category", "year", "name", "start_date", "end_date",
    "inputs", "remark", "created_on", "changed_on",
)  # fmt: skip
EVIDENCE_COLUMNS = (
    "id", "activity_id", "scan_type", "stored_path", "original_name",
    "content_type", "size", "sha256", "uploaded_on",
)  # fmt: skip
APPLICATION_COLUMNS = (
    "id", "applicant_id", "unit_id", "first_review_unit_id", "top_review_unit_id",
    "review_unit_id", "year", "method", "status", "compliant", "is_exception",
    "exception_type", "exception_reason", "exception_scan_path",
    "exception_scan_name", "exception_scan_type", "city_decision", "city_reason",
    "province_decision", "province_reason", "final_result", "return_reason",
    "ruleset_version", "total_hours", "year_hours", "snapshot", "applicant_name",
    "applicant_name_pinyin", "applicant_id_number", "title_level_name",
    "target_level_id", "target_series_id", "target_title_id", "submitted_on",
    "version",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "application_id", "actor_id", "role", "unit_id", "action",
    "from_status", "to_status", "reason", "created_on",
)  # fmt: skip

FLUSH_ACTIVITIES = 50_000
FLUSH_APPLICATIONS = 2_000
# Evidence rows per activity as (count, cumulative share): 30 % none, 60 %
# one, 10 % two.
EVIDENCE_SHARES = ((0, 0.3), (1, 0.9), (2, 1.01))
BENCH_ACTIVITIES_PER_YEAR = 50


@dataclass(frozen=True)
class Applicant:
    """The planned application of an employee: target state, method, submission time."""

    state: str
    method: str
    submitted: dt.datetime
    exception_type: str | None


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ActivityLoader:
    """Write every employee's activities and evidence, and the applications."""

    def __init__(
        self,
        writer: BulkWriter,
        rng: random.Random,
        ruleset: rules.RuleSet,
        plans: PlanBook,
        year: int,
        season: tuple[dt.datetime, dt.datetime],
        samples: dict[str, SampleFile],
        exception_scan: SampleFile,
        reviewers: dict[int, int],
    ) -> None:
        self.writer = writer
        self.rng = rng
        self.ruleset = ruleset
        self.plans = plans
        self.year = year
        self.season_end = season[1]
        self.samples = samples
        self.exception_scan = exception_scan
        self.reviewers = reviewers
        self.display_years = ruleset.display_years(year)
        self.labels = {category.code: category.label for category in ruleset.categories}
        self._inputs_json: dict[int, str] = {}
        self.next_activity = writer.next_id("activity")
        self.next_evidence = writer.next_id("evidence")
        self.next_application = writer.next_id("application")
        self.next_event = writer.next_id("review_event")
        self.activity_count = self.evidence_count = 0
        self.application_count = self.event_count = 0
        self._activities: list[tuple] = []
        self._evidence: list[tuple] = []
        self._applications: list[tuple] = []
        self._events: list[tuple] = []

    def load(self, employees: list[Employee], applicants: dict[int, Applicant]) -> None:
        for position, employee in enumerate(employees):
            applicant = applicants.get(position)
            if employee.is_bench:
                plans = self._bench_plans()
            else:
                plans = self._choose_plans(applicant)
            activities = self._write_activities(employee, applicant, plans)
            if applicant is not None:
                self._write_application(employee, applicant, activities)
            if (
                len(self._activities) >= FLUSH_ACTIVITIES
                or len(self._applications) >= FLUSH_APPLICATIONS
            ):
                self._flush()
        self._flush()

    def _choose_plans(self, applicant: Applicant | None) -> dict[int, YearPlan]:
        rng, book = self.rng, self.plans
        current = self.year
        if applicant is None:
            plans = {}
            for year in self.display_years:
                if year == current:
                    plans[year] = rng.choice(book.partial)
                    continue
                draw = rng.random()
                pool = (
                    book.compliant
                    if draw < 0.55
                    else book.short
                    if draw < 0.8
                    else book.partial
                )
                plans[year] = rng.choice(pool)
            return plans

        required = set(self.ruleset.required_years(applicant.method, current))
        short_year = rng.choice(sorted(required)) if applicant.exception_type else None
        plans = {}
        for year in self.display_years:
            if year == current:
                plans[year] = rng.choice(book.partial)
            elif year == short_year:
                plans[year] = rng.choice(book.short)
            elif year in required or rng.random() < 0.7:
                plans[year] = rng.choice(book.compliant)
            else:
                plans[year] = rng.choice(book.short)
        return plans

    def _bench_plans(self) -> dict[int, YearPlan]:
        """Return 50 activities a year, every category among them."""
        plans = {}
        for year in self.display_years:
            items: list[PlanItem] = []
            for plan in self.plans.rare_category_plans():
                items.extend(plan.items)
            while len(items) < BENCH_ACTIVITIES_PER_YEAR:
                items.extend(self.rng.choice(self.plans.compliant).items)
            plans[year] = YearPlan(-1, tuple(items[:BENCH_ACTIVITIES_PER_YEAR]))
        return plans

    def _inputs_text(self, item: PlanItem) -> str:
        key = id(item)
        if key not in self._inputs_json:
            self._inputs_json[key] = _json(item.inputs)
        return self._inputs_json[key]

    def _write_activities(
        self,
        employee: Employee,
        applicant: Applicant | None,
        plans: dict[int, YearPlan],
    ) -> dict[int, tuple[YearPlan, list[int], list[dict]]]:
        """Write activities and evidence, and return per year the plan, ids, snapshot rows.

        The snapshot rows are filled for applicants only.
        """
        rng = self.rng
        if applicant is not None:
            latest_date = applicant.submitted.date()
            latest_time = applicant.submitted - dt.timedelta(minutes=30)
        else:
            latest_date = self.season_end.date() - dt.timedelta(days=1)
            latest_time = self.season_end - dt.timedelta(hours=1)
        written = {}
        for year, plan in plans.items():
            ids, snapshot_rows = [], []
            for item, (start, end) in zip(
                plan.items, activity_dates(rng, plan, year, latest_date)
            ):
                activity_id = self.next_activity
                self.next_activity += 1
                # Recorded within two weeks after the activity, in office hours.
                delay = (
                    int(rng.random() * 15) * 86_400
                    + 8 * 3600
                    + int(rng.random() * 13 * 3600)
                )
                recorded = dt.datetime.combine(end or start, dt.time()) + dt.timedelta(
                    seconds=delay
                )
                recorded = min(recorded, latest_time)
                recorded_text = iso_timestamp(recorded)
                self._activities.append(
                    (
                        activity_id,
                        employee.id,
                        item.category,
                        year,
                        item.name,
                        start.isoformat(),
                        end.isoformat() if end else None,
                        self._inputs_text(item),
                        None,
                        recorded_text,
                        recorded_text,
                    )
                )
                evidence = self._write_evidence(activity_id, item.category, recorded)
                ids.append(activity_id)
                if applicant is not None:
                    snapshot_rows.append(
                        {
                            "id": activity_id,
                            "category": item.category,
                            "category_label": self.labels[item.category],
                            "year": year,
                            "name": item.name,
                            "start_date": start.isoformat(),
                            "end_date": end.isoformat() if end else None,
                            "inputs": dict(item.inputs),
                            "evidence": evidence,
                        }
                    )
            written[year] = (plan, ids, snapshot_rows)
        self.activity_count += sum(len(ids) for _, ids, _ in written.values())
        return written

    def _write_evidence(
        self, activity_id: int, category: str, recorded: dt.datetime
    ) -> list[dict]:
        rng = self.rng
        draw = rng.random()
        count = next(n for n, share in EVIDENCE_SHARES if draw < share)
        scan_types = SCAN_TYPES.get(category, DEFAULT_SCAN_TYPES)
        uploaded = iso_timestamp(
            recorded + dt.timedelta(seconds=60 + int(rng.random() * 1200))
        )
        listed = []
        for index in range(count):
            scan_type = scan_types[index % len(scan_types)]
            sample = self.samples[scan_type]
            evidence_id = self.next_evidence
            self.next_evidence += 1
            self._evidence.append(
                (
                    evidence_id,
                    activity_id,
                    scan_type,
                    sample.relative_path,
                    sample.original_name,
                    sample.content_type,
                    sample.size,
                    sample.sha256,
                    uploaded,
                )
            )
            listed.append(
                {
                    "id": evidence_id,
                    "name": sample.original_name,
                    "scan_type": scan_type,
                }
            )
        self.evidence_count += count
        return listed

    def _write_application(
        self, employee: Employee, applicant: Applicant, written: dict
    ) -> None:
        unit = employee.unit
        chain = Chain(
            applicant_id=employee.id,
            applicant_unit_id=unit.id,
            first_unit_id=unit.first_review_unit_id,
            top_unit_id=unit.top_review_unit_id,
            first_reviewer_id=self.reviewers[unit.first_review_unit_id],
            top_reviewer_id=self.reviewers[unit.top_review_unit_id],
        )

        # The order of `activity_snapshot`: year, category, start date, id.
        activities = [row for _, _, rows in written.values() for row in rows]
        activities.sort(
            key=lambda row: (row["year"], row["category"], row["start_date"], row["id"])
        )
        plans = {year: (plan, ids) for year, (plan, ids, _) in written.items()}
        snapshot, compliant, year_hours, total = build_snapshot(
            self.ruleset, applicant.method, self.year, plans, activities
        )

        exception_reason = EXCEPTION_REASONS.get(applicant.exception_type or "")
        scan = self.exception_scan if applicant.exception_type else None
        row = replay(
            self.rng,
            applicant.state,
            chain,
            applicant.submitted,
            self.season_end,
            applicant.exception_type is not None,
            exception_reason,
        )

        application_id = self.next_application
        self.next_application += 1
        # A resubmission replaces the submission time, as `record_submission` does.
        submitted = max(
            event[7] for event in row.events if event[3] == "submit_application"
        )
        self._applications.append(
            (
                application_id,
                employee.id,
                unit.id,
                chain.first_unit_id,
                chain.top_unit_id,
                row.review_unit_id,
                self.year,
                applicant.method,
                row.status,
                compliant,
                scan is not None,
                applicant.exception_type,
                exception_reason,
                scan.relative_path if scan else None,
                scan.original_name if scan else None,
                scan.content_type if scan else None,
                row.city_decision,
                row.city_reason,
                row.province_decision,
                row.province_reason,
                row.final_result,
                row.return_reason,
                self.ruleset.version,
                total,
                _json(year_hours),
                _json(snapshot),
                employee.name,
                name_pinyin(employee.name),
                employee.id_number,
                employee.title_level_name,
                employee.target_level_id,
                employee.target_series_id,
                employee.target_title_id,
                iso_timestamp(submitted),
                row.version,
            )
        )
        self._write_events(application_id, row.events)
        self.application_count += 1
        self.event_count += len(row.events)

    def _write_events(self, application_id: int, events: list[tuple]) -> None:
        """Buffer the review events that `replay` returned, in EVENT_COLUMNS order."""
        for *columns, when in events:
            row = (self.next_event, application_id, *columns, iso_timestamp(when))
            self._events.append(row)
            self.next_event += 1

    def _flush(self) -> None:
        writer = self.writer
        writer.insert("activity", ACTIVITY_COLUMNS, self._activities)
        writer.insert("evidence", EVIDENCE_COLUMNS, self._evidence)
        writer.insert("application", APPLICATION_COLUMNS, self._applications)
        writer.insert("review_event", EVENT_COLUMNS, self._events)
        writer.connection.commit()
        self._activities, self._evidence = [], []
        self._applications, self._events = [], []
