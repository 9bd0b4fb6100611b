"""The Markdown report: one section per database, the other section kept as it was."""

from __future__ import annotations

import math
import os
import platform
import re
from pathlib import Path
from typing import Optional

from .load import LoadResult
from .stats import Figure, median, percentile

SECTION_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

HEADER = """# Benchmarks

Written by `make bench` (`.venv/bin/python -m bench`); a run on one database
replaces only that database's section below. How to run it and what it
measures is described in the README's Benchmarks section.

Every figure is measured through the real app: Flask's test client with a
logged-in session for the single requests, and gunicorn with several workers
for the load. Times are wall-clock milliseconds of whole requests, response
body included; *p95* is the nearest-rank 95th percentile of the runs, and
*met?* judges the median against the target. The
baselines are measured in the same run on the same database: the same list
page by a hand-written SQL query (the same count, filters, sort, limit and
offset), a bare openpyxl write-only loop writing the same rows and columns
from one SELECT, the bare SELECT of the employee's activities, and, for the
load, the server's minimal endpoint. The export's memory is the growth of the
process's peak RSS (Linux `VmHWM`, reset before the export), with the peak of
Python allocations (tracemalloc) beside it.

The list figures use the 待审核 tab with three filters (this year, 审核类型
正常, 是否合格 合格), sorted by 学时 descending, 20 rows a page: page 1 and the
last page. The province figures are those of `bench_province_reviewer`, the
talent centre's those of `bench_talent_admin`. The bulk 合格 is one POST of
500 rows waiting at the province, undone after each run; the export is
导出学时报表 of the talent centre for the applications' year (every
application of that year).

Each list page has a second line, its query layer alone
(`app.review_queries.fetch_page`: the count, the page's ids and the page's
rows): the ratio target compares that line with the hand-written SQL, and
the whole page has the 50 ms target. 预算学时 is measured warm: its untimed
warm-up run fills the per-process cache of conversions of the published rule
set, which later requests with the same inputs reuse; a first request after
a restart or a publication converts every activity again.
"""


def machine() -> dict[str, str]:
    """Return the CPU model, the number of cores and the memory of this machine."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "unknown"
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemTotal:"):
                    memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                    break
    except OSError:
        pass
    return {"cpu": model, "cores": str(os.cpu_count()), "memory": memory}


def _ms(value: Optional[float]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.1f} ms"


def _met(value: Optional[bool]) -> str:
    return {True: "是", False: "**否**", None: "–"}[value]


def figures_table(figures: list[Figure]) -> list[str]:
    lines = [
        "| figure | median | p95 | baseline | baseline median | baseline p95 | ratio | target | met? |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for figure in figures:
        base_median = median(figure.baseline) if figure.baseline else None
        base_p95 = percentile(figure.baseline, 0.95) if figure.baseline else None
        ratio = f"{figure.ratio:.2f}×" if figure.ratio is not None else "–"
        lines.append(
            f"| {figure.label} | {_ms(figure.median)} | {_ms(figure.p95)} | "
            f"{figure.baseline_label or '–'} | {_ms(base_median)} | {_ms(base_p95)} | "
            f"{ratio} | {figure.target} | {_met(figure.met)} |"
        )
    return lines


def load_table(results: list[LoadResult], clients: int, workers: int, seconds: float) -> list[str]:
    lines = [
        f"{clients} concurrent clients for {seconds:g} s per endpoint, gunicorn with "
        f"{workers} workers (gthread) on the same machine.",
        "",
        "| endpoint | path | requests/s | p50 | p95 | errors | rps vs minimal |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    minimal = results[0].rps if results else 0
    for result in results:
        share = f"{result.rps / minimal:.2f}×" if minimal else "–"
        lines.append(
            f"| {result.label} | `{result.path}` | {result.rps:.1f} | {_ms(result.p50)} | "
            f"{_ms(result.p95)} | {result.errors} | {share} |"
        )
    return lines


def section(
    dialect: str,
    *,
    date: str,
    database_version: str,
    counts: dict[str, int],
    marker: dict,
    settings: dict,
    figures: list[Figure],
    load: Optional[list[LoadResult]],
    load_settings: dict,
    reasons: dict[str, str],
) -> str:
    """Render one database's section of the report."""
    info = machine()
    lines = [
        f"## {SECTION_TITLES[dialect]}",
        "",
        f"- run: {date}",
        f"- machine: {info['cpu']}, {info['cores']} cores, {info['memory']} memory",
        f"- database: {database_version}",
        "- dataset: " + ", ".join(f"{name} {value:,}" for name, value in counts.items()),
        f"- generated with seed {marker['seed']}, scale {marker['scale']:g} on "
        f"{marker['generated_on']} in {marker['seconds']:.0f} s"
        + ("; reused by this run" if marker.get("reused") else ""),
        f"- runs per figure: {settings['repeat']} (list pages, 预算学时), "
        f"{settings['bulk_repeat']} (bulk 合格), {settings['export_repeat']} (export), "
        "each after one untimed warm-up run",
        "",
        *figures_table(figures),
        "",
    ]
    notes = [(figure.label, note) for figure in figures for note in figure.notes]
    if notes:
        lines += ["Details:", ""]
        lines += [f"- {label}: {note}" for label, note in notes]
        lines.append("")
    missed = [figure for figure in figures if figure.met is False]
    if missed:
        lines += ["Targets not met:", ""]
        for figure in missed:
            reason = reasons.get(figure.key, "")
            lines.append(f"- {figure.label}: {figure.shortfall()}." + (f" {reason}" if reason else ""))
        lines.append("")
    lines += ["### Concurrent load", ""]
    if load is None:
        lines.append(load_settings.get("skipped", "PostgreSQL only."))
    else:
        lines += load_table(load, load_settings["clients"], load_settings["workers"],
                            load_settings["seconds"])
    lines.append("")
    return "\n".join(lines)


def _markers(dialect: str) -> tuple[str, str]:
    return f"<!-- bench:{dialect}:begin -->", f"<!-- bench:{dialect}:end -->"


def write(path: Path, dialect: str, text: str) -> None:
    """Replace the section of `dialect` in the report at `path`, keeping the other."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    parts = [HEADER]
    for name in SECTION_TITLES:
        begin, end = _markers(name)
        if name == dialect:
            body = text
        else:
            found = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), old, re.S)
            body = found.group(1) if found else f"## {SECTION_TITLES[name]}\n\nNot run yet.\n"
        parts.append(f"{begin}\n{body.rstrip()}\n{end}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
