"""The in-process figures, measured through the real app with Flask's test client.

Each figure times whole requests of a logged-in session (routing, FAB's
permission check, the queries, the template or the workbook) and sets a
baseline beside it: the same page by a hand-written SQL query, a bare
openpyxl loop writing the same rows, or the bare SELECT of the activities.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from typing import Iterator

import sqlalchemy as sa
from openpyxl import Workbook

from .stats import Figure, time_calls

log = logging.getLogger(__name__)

BENCH_PASSWORD = "Demo@2026ce"
PROVINCE_REVIEWER = "bench_province_reviewer"
TALENT_ADMIN = "bench_talent_admin"
# The employee with 200 activities logs in with an ID-card number, which the
# dataset records; this key names that account among the clients.
EMPLOYEE = "bench_employee"
BULK_ROWS = 500
PAGE_SIZE = 20

# The list's three filters and its sort, the same for both viewers: this
# year's applications of the normal type that meet the requirement, by hours.
LIST_SORT = ("hours", "desc")


@dataclass(frozen=True)
class Settings:
    repeat: int
    """Timed runs of the quick figures (list pages, 预算学时)."""
    bulk_repeat: int
    export_repeat: int


class StatementCounter:
    """Count the SQL statements an engine sends while the counter is active."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.count = 0

    def _before(self, *args, **kwargs) -> None:
        self.count += 1

    def __enter__(self) -> "StatementCounter":
        self.count = 0
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)


def login(app, username: str):
    """Return a test client logged in through the real login form."""
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": BENCH_PASSWORD})
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise RuntimeError(f"login failed for {username}: HTTP {response.status_code}")
    return client


def _get_ok(client, url: str) -> bytes:
    response = client.get(url)
    body = response.get_data()
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} returned HTTP {response.status_code}")
    return body


class Run:
    """One benchmark run on one app; `figures()` measures everything in order."""

    def __init__(self, app, settings: Settings, employee_username: str) -> None:
        self.app = app
        self.settings = settings
        self.employee_username = employee_username
        with app.app_context():
            from app.extensions import db

            self.engine = db.engine
        self.year = self._scalar("SELECT max(year) FROM application")
        self.province = self._account_unit(PROVINCE_REVIEWER)
        self.clients = {
            PROVINCE_REVIEWER: login(app, PROVINCE_REVIEWER),
            TALENT_ADMIN: login(app, TALENT_ADMIN),
            EMPLOYEE: login(app, employee_username),
        }

    def _scalar(self, sql: str, **params):
        with self.engine.connect() as connection:
            return connection.scalar(sa.text(sql), params)

    def _account_unit(self, username: str) -> dict:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.text(
                    "SELECT a.id AS account_id, u.id AS unit_id, u.path FROM ab_user a "
                    "JOIN unit u ON u.id = a.unit_id WHERE a.username = :name"
                ),
                {"name": username},
            ).one()
        return dict(row._mapping)

    def _statements(self, function) -> int:
        with StatementCounter(self.engine) as counter:
            function()
        return counter.count

    # The review list -----------------------------------------------------

    def _list_args(self) -> dict:
        return {
            "tab": "pending",
            "year": self.year,
            "type": "normal",
            "compliant": "yes",
            "sort": LIST_SORT[0],
            "order": LIST_SORT[1],
            "size": PAGE_SIZE,
        }

    def _list_sql(self, viewer: str) -> tuple[str, dict]:
        """Return the hand-written WHERE clause of the list and its parameters."""
        params = {"year": self.year, "compliant": True, "exception": False}
        common = "year = :year AND compliant = :compliant AND is_exception = :exception"
        if viewer == TALENT_ADMIN:
            return f"status IN ('pending', 'reviewed') AND {common}", params
        params.update(unit=self.province["unit_id"], path=self.province["path"] + "%")
        scope = "unit_id IN (SELECT id FROM unit WHERE path LIKE :path)"
        return f"{scope} AND review_unit_id = :unit AND {common}", params

    def _hand_written_page(self, viewer: str, page: int) -> int:
        where, params = self._list_sql(viewer)
        with self.engine.connect() as connection:
            total = connection.scalar(
                sa.text(f"SELECT count(*) FROM application WHERE {where}"), params
            )
            rows = connection.execute(
                sa.text(
                    "SELECT id, version, applicant_name, applicant_id_number, year, "
                    "total_hours, compliant, status, city_decision, province_decision, "
                    "final_result, is_exception, title_level_name, year_hours, "
                    "exception_reason, exception_scan_path, review_unit_id "
                    f"FROM application WHERE {where} "
                    "ORDER BY total_hours DESC, id DESC LIMIT :limit OFFSET :offset"
                ),
                {**params, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE},
            ).all()
        return total + len(rows)

    def _query_layer(self, viewer: str, args: dict) -> list[float]:
        """Time the list's own queries (`fetch_page`) for the viewer and arguments."""
        from app.extensions import db
        from app.models import Account
        from app.review_queries import ReviewQuery, fetch_page

        text_args = {key: str(value) for key, value in args.items()}
        with self.app.app_context():
            user = db.session.scalar(sa.select(Account).where(Account.username == viewer))

            def fetch() -> None:
                page = fetch_page(user, ReviewQuery.from_args(text_args))
                if page.total and not page.rows:
                    raise RuntimeError(f"fetch_page found {page.total} rows but returned none")

            samples = time_calls(fetch, self.settings.repeat)
            db.session.remove()
        return samples

    def list_figures(self, viewer: str, label: str) -> list[Figure]:
        where, params = self._list_sql(viewer)
        total = self._scalar(f"SELECT count(*) FROM application WHERE {where}", **params)
        last_page = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        client = self.clients[viewer]
        figures = []
        for page, page_label in ((1, "第1页"), (last_page, f"第{last_page}页（末页）")):
            args = {**self._list_args(), "page": page}
            query = "&".join(f"{key}={value}" for key, value in args.items())
            url = f"/review/?{query}"
            body = _get_ok(client, url).decode()
            if total and "没有符合条件的申报数据" in body:
                raise RuntimeError(f"{url} shows no rows although {total} match")
            statements = self._statements(lambda: _get_ok(client, url))
            samples = time_calls(lambda: _get_ok(client, url), self.settings.repeat)
            baseline = time_calls(
                lambda: self._hand_written_page(viewer, page), self.settings.repeat
            )
            kind = "talent" if viewer == TALENT_ADMIN else "province"
            depth = "first" if page == 1 else "deep"
            figures.append(
                Figure(
                    key=f"list_{kind}_{depth}",
                    label=f"{label}审核列表 {page_label}",
                    unit="ms",
                    samples=samples,
                    baseline_label="手写 SQL（同样的计数与分页查询）",
                    baseline=baseline,
                    target="< 50 ms（整页请求）",
                    limit=50,
                    notes=[
                        f"{total} 条符合筛选，每页 {PAGE_SIZE} 条，每次请求 {statements} 条 SQL 语句"
                    ],
                )
            )
            # The ratio target compares like with like: the app's query
            # layer (count, page ids, page rows) against the hand-written
            # SQL, without the page template that only the app has.
            figures.append(
                Figure(
                    key=f"list_{kind}_{depth}_query",
                    label=f"{label}审核列表 {page_label}：查询层",
                    unit="ms",
                    samples=self._query_layer(viewer, args),
                    baseline_label="手写 SQL（同样的计数与分页查询）",
                    baseline=baseline,
                    target="≤ 3× 基线",
                    max_ratio=3,
                    notes=["app.review_queries.fetch_page：计数、本页 id、本页行"],
                )
            )
        return figures

    # The bulk decision ---------------------------------------------------

    def _pending_at_province(self, count: int) -> list[tuple[int, int]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT id, version FROM application WHERE review_unit_id = :unit "
                    "AND status IN ('pending', 'reviewed') AND applicant_id <> :actor "
                    "ORDER BY id LIMIT :count"
                ),
                {
                    "unit": self.province["unit_id"],
                    "actor": self.province["account_id"],
                    "count": count,
                },
            ).all()
        return [(row.id, row.version) for row in rows]

    def _bulk_pass(self, pairs: list[tuple[int, int]]) -> tuple[float, int]:
        """POST 合格 on the rows, undo it, and return (ms, SQL statements)."""
        client = self.clients[PROVINCE_REVIEWER]
        ids = [identifier for identifier, _ in pairs]
        with restoring(self.engine, ids):
            with StatementCounter(self.engine) as counter:
                started = time.perf_counter()
                response = client.post(
                    "/review/action",
                    data={
                        "action": "pass",
                        "rows": [f"{i}:{v}" for i, v in pairs],
                        "back": "/review/",
                    },
                )
                elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 302:
                raise RuntimeError(f"bulk 合格 returned HTTP {response.status_code}")
            passed = self._count_passed(ids)
            if passed != len(ids):
                raise RuntimeError(f"bulk 合格 changed {passed} of {len(ids)} rows")
        return elapsed, counter.count

    def _count_passed(self, ids: list[int]) -> int:
        with self.engine.connect() as connection:
            return connection.scalar(
                sa.select(sa.func.count())
                .select_from(sa.table("application", sa.column("id"), sa.column("province_decision")))
                .where(sa.column("id").in_(ids), sa.column("province_decision") == "pass")
            )

    def bulk_figure(self) -> Figure:
        pairs = self._pending_at_province(BULK_ROWS)
        if not pairs:
            raise RuntimeError("no application waits at the province reviewer's unit")
        small = pairs[: max(len(pairs) // 10, 1)]
        _, small_count = self._bulk_pass(small)
        samples, counts = [], []
        self._bulk_pass(pairs)  # warm-up, undone like every run
        for _ in range(self.settings.bulk_repeat):
            elapsed, count = self._bulk_pass(pairs)
            samples.append(elapsed)
            counts.append(count)
        constant = len(set(counts)) == 1 and counts[0] == small_count
        return Figure(
            key="bulk_pass",
            label=f"批量合格 {len(pairs)} 条（POST /review/action）",
            unit="ms",
            samples=samples,
            target="< 1 s，SQL 语句数不随行数增长",
            limit=1000,
            extra_checks={"constant statements": constant},
            notes=[
                f"{counts[0]} 条 SQL 语句（{len(pairs)} 行），{small_count} 条（{len(small)} 行）",
                "每次运行后恢复原状",
            ],
        )

    # The export ----------------------------------------------------------

    def _report_url(self) -> str:
        return f"/review/report?year={self.year}"

    def _download(self) -> int:
        client = self.clients[TALENT_ADMIN]
        response = client.get(self._report_url())
        size = len(response.get_data())
        if response.status_code != 200:
            raise RuntimeError(f"export returned HTTP {response.status_code}")
        return size

    def export_figure(self) -> Figure:
        rows = self._scalar("SELECT count(*) FROM application WHERE year = :year", year=self.year)
        with restoring(self.engine, []):
            # The memory runs come first, so the cold first run also warms up.
            python_peak, rss_growth = self._export_memory()
            samples = time_calls(self._download, self.settings.export_repeat, warmup=0)
        baseline = time_calls(self._bare_openpyxl, self.settings.export_repeat, warmup=0)
        notes = [
            f"{rows} 行，导出学时报表（GET {self._report_url()}，人才中心管理员）",
            f"Python 分配峰值（tracemalloc）{python_peak / 2**20:.1f} MB",
        ]
        if rss_growth is not None:
            notes.append(f"RSS 峰值增长（/proc VmHWM）{rss_growth / 2**20:.1f} MB")
        growth = rss_growth if rss_growth is not None else python_peak
        return Figure(
            key="export",
            label=f"导出 {rows} 行 Excel",
            unit="ms",
            samples=samples,
            baseline_label="openpyxl 只写模式循环（同样的行与列，一次 SELECT）",
            baseline=baseline,
            target="< 15 s，内存增长 < 100 MB，≤ 2× 基线",
            limit=15000,
            max_ratio=2,
            extra_checks={"memory growth < 100 MB": growth < 100 * 2**20},
            notes=notes,
        )

    def _export_memory(self) -> tuple[int, int | None]:
        """Return the export's peak Python allocations and its peak RSS growth."""
        rss_growth = None
        if _reset_peak_rss():
            before = _rss_bytes("VmRSS")
            self._download()
            rss_growth = max(_rss_bytes("VmHWM") - before, 0)
        tracemalloc.start()
        try:
            self._download()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return peak, rss_growth

    def _bare_openpyxl(self) -> None:
        """Write the export's rows with nothing but openpyxl, for the baseline."""
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("学时报表")
        years = [str(self.year - offset) for offset in (3, 2, 1, 0)]
        with self.engine.connect() as connection:
            result = connection.execute(
                sa.text(
                    "SELECT a.applicant_name, a.applicant_id_number, u.name, a.year, "
                    "a.method, a.title_level_name, t.name, a.year_hours, a.total_hours, "
                    "a.compliant, a.is_exception, a.final_result, a.final_result "
                    "FROM application a JOIN unit u ON u.id = a.unit_id "
                    "LEFT JOIN title t ON t.id = a.target_title_id WHERE a.year = :year "
                    "ORDER BY u.sort_order, a.applicant_name_pinyin, a.id"
                ).execution_options(yield_per=1000),
                {"year": self.year},
            )
            sheet.append(["序号", "姓名", "身份证号", "单位", "申报年份", "申报方式",
                          "现职称等级", "拟申报职称", *years, "总学时", "是否合格",
                          "审核类型", "审核结果", "最终结果"])
            for number, row in enumerate(result, start=1):
                hours = row[7] if isinstance(row[7], dict) else json.loads(row[7] or "{}")
                sheet.append([number, *row[:7], *(hours.get(y) for y in years), row[8],
                              row[9] and "合格" or "不合格", row[10] and "破格" or "正常",
                              row[11], row[12]])
        with tempfile.TemporaryFile() as file:
            workbook.save(file)

    # 预算学时 ------------------------------------------------------------

    def budget_figure(self) -> Figure:
        client = self.clients[EMPLOYEE]
        owner = self._scalar(
            "SELECT id FROM ab_user WHERE username = :name", name=self.employee_username
        )
        activities = self._scalar("SELECT count(*) FROM activity WHERE owner_id = :id", id=owner)
        statements = self._statements(lambda: _get_ok(client, "/budget/"))
        samples = time_calls(lambda: _get_ok(client, "/budget/"), self.settings.repeat)

        def select_activities() -> None:
            with self.engine.connect() as connection:
                connection.execute(
                    sa.text("SELECT * FROM activity WHERE owner_id = :id ORDER BY start_date, id"),
                    {"id": owner},
                ).all()

        return Figure(
            key="budget",
            label="预算学时（GET /budget/）",
            unit="ms",
            samples=samples,
            baseline_label="只查询该员工的业绩（一次 SELECT）",
            baseline=time_calls(select_activities, self.settings.repeat),
            target="< 20 ms",
            limit=20,
            notes=[f"{activities} 条业绩，每次请求 {statements} 条 SQL 语句"],
        )

    def figures(self) -> Iterator[Figure]:
        yield from self.list_figures(PROVINCE_REVIEWER, "省公司")
        yield from self.list_figures(TALENT_ADMIN, "人才中心")
        yield self.bulk_figure()
        yield self.export_figure()
        yield self.budget_figure()


@contextlib.contextmanager
def restoring(engine: sa.Engine, application_ids: list[int]):
    """Put the dataset back as it was: the applications' review columns, and no
    review events or audit entries added meanwhile.

    The audit log is append-only through SQLAlchemy, so its new entries are
    deleted on a raw DBAPI connection; they are the benchmark's own records in
    the benchmark's own database.
    """
    columns = ("id", "status", "version", "review_unit_id", "city_decision",
               "city_reason", "province_decision", "province_reason", "final_result",
               "return_reason")
    table = sa.table("application", *(sa.column(name) for name in columns))
    with engine.connect() as connection:
        saved = [
            dict(row._mapping)
            for row in connection.execute(
                sa.select(*table.c).where(table.c.id.in_(application_ids))
            )
        ] if application_ids else []
        last_event = connection.scalar(sa.text("SELECT coalesce(max(id), 0) FROM review_event"))
        last_audit = connection.scalar(sa.text("SELECT coalesce(max(id), 0) FROM audit_entry"))
    try:
        yield
    finally:
        with engine.begin() as connection:
            if saved:
                connection.execute(
                    table.update()
                    .where(table.c.id == sa.bindparam("saved_id"))
                    .values({name: sa.bindparam(f"saved_{name}") for name in columns[1:]}),
                    [{f"saved_{key}": value for key, value in row.items()} for row in saved],
                )
            connection.execute(
                sa.text("DELETE FROM review_event WHERE id > :id"), {"id": last_event}
            )
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"DELETE FROM audit_entry WHERE id > {int(last_audit)}")
            raw.commit()
        finally:
            raw.close()


def _reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (Linux clear_refs); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
        return True
    except OSError:
        return False


def _rss_bytes(field_name: str) -> int:
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    return 0


def dataset_counts(engine: sa.Engine) -> dict[str, int]:
    """Return the row counts the report shows for the dataset."""
    queries = {
        "units": "SELECT count(*) FROM unit",
        "accounts": "SELECT count(*) FROM ab_user",
        "activities": "SELECT count(*) FROM activity",
        "applications": "SELECT count(*) FROM application",
        "review_events": "SELECT count(*) FROM review_event",
    }
    with engine.connect() as connection:
        return {name: connection.scalar(sa.text(sql)) for name, sql in queries.items()}


def database_version(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return connection.scalar(sa.text("SHOW server_version"))
        return "SQLite " + connection.scalar(sa.text("SELECT sqlite_version()"))


def today() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="minutes")
