"""Employee, reviewer and benchmark accounts of the national dataset, with profiles."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import text

from .glossary import RoleName
from .national_bulk import BulkWriter, iso_timestamp
from .national_people import mobile_number, random_id_number, random_name
from .national_tree import StaffUnit, UnitRow

ACCOUNT_COLUMNS = (
    "id", "first_name", "last_name", "username", "password", "active", "email",
    "created_on", "changed_on", "login_count", "fail_login_count", "id_number",
    "mobile", "unit_id", "must_change_password",
)  # fmt: skip
PROFILE_COLUMNS = (
    "user_id", "current_level_id", "current_title_id", "title_obtained_on",
    "target_year", "target_method", "target_level_id", "target_series_id",
    "target_subspecialty_id", "target_title_id", "photo_path", "changed_on",
)  # fmt: skip

# Share of staff per title series (by code) and per current level rank.
SERIES_WEIGHTS = {
    "engineering": 60,
    "economics": 12,
    "accounting": 8,
    "political_work": 8,
    "archives": 5,
    "audit": 4,
    "statistics": 3,
}
CURRENT_RANK_WEIGHTS = {1: 35, 2: 45, 3: 20}

BENCH_EMPLOYEE_NAME = "基准员工"


@dataclass(frozen=True)
class Employee:
    """A generated employee and the profile fields an application copies."""

    id: int
    name: str
    id_number: str
    unit: StaffUnit
    method: str
    title_level_name: str
    target_level_id: int
    target_series_id: int
    target_title_id: int
    is_bench: bool = False


@dataclass(frozen=True)
class _TitlePath:
    """One way up the title ladder: current title and level, target title and level."""

    series_id: int
    current_level_id: int
    current_level_name: str
    current_title_ids: tuple[int, ...]
    target_level_id: int
    target_title_ids: tuple[int, ...]
    subspecialty_ids: tuple[int, ...]
    weight: float


class AccountFactory:
    """Insert accounts, their roles and profiles, assigning ids as it goes."""

    def __init__(
        self,
        writer: BulkWriter,
        rng: random.Random,
        password_hash: str,
        year: int,
        season: tuple[dt.datetime, dt.datetime],
    ) -> None:
        self.writer = writer
        self.rng = rng
        self.password_hash = password_hash
        self.year = year
        self.season = season
        self.next_account_id = writer.next_id("ab_user")
        self.next_role_link_id = writer.next_id("ab_user_role")
        self.role_ids = dict(
            writer.connection.execute(text("SELECT name, id FROM ab_role")).all()
        )
        self.title_paths = self._title_paths()
        self.reviewer_count = 0
        self.bench_employee_username = ""
        self._mobile_offset = rng.randrange(10**8)
        self._taken_ids: set[str] = set()

    def _title_paths(self) -> list[_TitlePath]:
        connection = self.writer.connection
        levels = {
            rank: (level_id, name)
            for level_id, name, rank in connection.execute(
                text("SELECT id, name, rank FROM title_level WHERE active")
            )
        }
        series = dict(
            connection.execute(
                text("SELECT id, code FROM title_series WHERE active")
            ).all()
        )
        titles = connection.execute(
            text(
                "SELECT id, series_id, level_id, legacy FROM title "
                "WHERE active ORDER BY id"
            )
        ).all()
        specialties = connection.execute(
            text(
                "SELECT id, series_id FROM subspecialty "
                "WHERE active AND selectable ORDER BY id"
            )
        ).all()
        paths = []
        for series_id, code in sorted(series.items()):
            for rank, rank_weight in CURRENT_RANK_WEIGHTS.items():
                if rank not in levels or rank + 1 not in levels:
                    continue
                current_level_id, current_name = levels[rank]
                target_level_id, _ = levels[rank + 1]
                current = tuple(
                    t.id
                    for t in titles
                    if t.series_id == series_id and t.level_id == current_level_id
                )
                target = tuple(
                    t.id
                    for t in titles
                    if t.series_id == series_id
                    and t.level_id == target_level_id
                    and not t.legacy
                )
                subspecialties = tuple(
                    s.id for s in specialties if s.series_id == series_id
                )
                if not (current and target and subspecialties):
                    continue
                weight = SERIES_WEIGHTS.get(code, 2) * rank_weight
                paths.append(
                    _TitlePath(
                        series_id,
                        current_level_id,
                        current_name,
                        current,
                        target_level_id,
                        target,
                        subspecialties,
                        weight,
                    )
                )
        if not paths:
            raise LookupError(
                "title catalogue has no series with titles on two adjacent levels"
            )
        return paths

    def _registered_on(self) -> dt.datetime:
        start = dt.datetime(self.year - 4, 1, 1)
        latest = self.season[1] - dt.timedelta(days=60)
        seconds = max(int((latest - start).total_seconds()), 1)
        return start + dt.timedelta(seconds=self.rng.randrange(seconds))

    def create_employees(
        self, units_of: list[StaffUnit], applicants: dict, bench_unit: StaffUnit
    ) -> list[Employee]:
        """Insert one employee per entry of `units_of`, then the benchmark employee."""
        rng = self.rng
        employee_role = self.role_ids[RoleName.EMPLOYEE]
        weights = [path.weight for path in self.title_paths]
        accounts, links, profiles, employees = [], [], [], []
        for position, unit in enumerate([*units_of, bench_unit]):
            is_bench = position == len(units_of)
            account_id = self.next_account_id
            self.next_account_id += 1
            name = BENCH_EMPLOYEE_NAME if is_bench else random_name(rng)
            id_number = random_id_number(rng, unit.area_prefix, self._taken_ids)
            registered = iso_timestamp(self._registered_on())
            accounts.append(
                (
                    account_id,
                    name,
                    "",
                    id_number,
                    self.password_hash,
                    True,
                    f"{id_number}@id-card.invalid",
                    registered,
                    registered,
                    0,
                    0,
                    id_number,
                    mobile_number(position, self._mobile_offset),
                    unit.id,
                    False,
                )
            )
            links.append((self.next_role_link_id, account_id, employee_role))
            self.next_role_link_id += 1

            path = (
                self.title_paths[0]
                if is_bench
                else rng.choices(self.title_paths, weights)[0]
            )
            applicant = applicants.get(position)
            method = (
                applicant.method
                if applicant
                else rng.choice(("review", "review", "recognition"))
            )
            if is_bench:
                method = "review"
            target_year = (
                self.year
                if applicant or is_bench or rng.random() < 0.6
                else self.year + 1
            )
            target_title_id = rng.choice(path.target_title_ids)
            obtained = dt.date(
                self.year - rng.randint(3, 12), rng.randint(1, 12), rng.randint(1, 28)
            )
            profiles.append(
                (
                    account_id,
                    path.current_level_id,
                    rng.choice(path.current_title_ids),
                    obtained.isoformat(),
                    target_year,
                    method,
                    path.target_level_id,
                    path.series_id,
                    rng.choice(path.subspecialty_ids),
                    target_title_id,
                    None,
                    registered,
                )
            )
            employees.append(
                Employee(
                    account_id,
                    name,
                    id_number,
                    unit,
                    method,
                    path.current_level_name,
                    path.target_level_id,
                    path.series_id,
                    target_title_id,
                    is_bench,
                )
            )
            if is_bench:
                self.bench_employee_username = id_number

        self.writer.insert("ab_user", ACCOUNT_COLUMNS, accounts)
        self.writer.insert("ab_user_role", ("id", "user_id", "role_id"), links)
        self.writer.insert("profile", PROFILE_COLUMNS, profiles)
        self.writer.connection.commit()
        return employees

    def _reviewer_rows(self, username: str, name: str, unit_id: int | None, role: str):
        account_id = self.next_account_id
        self.next_account_id += 1
        created = iso_timestamp(self.season[0] - dt.timedelta(days=30))
        account = (
            account_id,
            name[:64],
            "",
            username,
            self.password_hash,
            True,
            f"{username}@national.invalid",
            created,
            created,
            0,
            0,
            None,
            None,
            unit_id,
            False,
        )
        link = (self.next_role_link_id, account_id, self.role_ids[role])
        self.next_role_link_id += 1
        self.reviewer_count += 1
        return account_id, account, link

    def _insert_reviewers(self, specs) -> dict[int | None, int]:
        ids, accounts, links = {}, [], []
        for username, name, unit_id, role in specs:
            account_id, account, link = self._reviewer_rows(
                username, name, unit_id, role
            )
            ids[unit_id] = account_id
            accounts.append(account)
            links.append(link)
        self.writer.insert("ab_user", ACCOUNT_COLUMNS, accounts)
        self.writer.insert("ab_user_role", ("id", "user_id", "role_id"), links)
        self.writer.connection.commit()
        return ids

    def create_reviewers(self, units: list[UnitRow]) -> dict[int, int]:
        """Insert one reviewer per reviewing unit and return unit id → account id."""
        specs = []
        for unit in units:
            role = (
                RoleName.CITY_REVIEWER
                if unit.level == "city"
                else RoleName.PROVINCE_REVIEWER
            )
            username = "rv_" + unit.code.lower().replace("-", "_")
            specs.append((username, f"{unit.name}审核员", unit.id, role))
        return self._insert_reviewers(specs)

    def create_bench_reviewers(self, city_unit_id: int, province_unit_id: int) -> None:
        """Insert the fixed benchmark reviewers and the talent-centre administrator."""
        self._insert_reviewers(
            [
                (
                    "bench_city_reviewer",
                    "基准地市级审核员",
                    city_unit_id,
                    RoleName.CITY_REVIEWER,
                ),
                (
                    "bench_province_reviewer",
                    "基准省公司级审核员",
                    province_unit_id,
                    RoleName.PROVINCE_REVIEWER,
                ),
                (
                    "bench_talent_admin",
                    "基准人才中心管理员",
                    None,
                    RoleName.TALENT_CENTRE,
                ),
            ]
        )
