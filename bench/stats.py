"""Timing samples and their summary figures (median, 95th percentile)."""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Optional


def percentile(samples: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of `samples` (fraction 0.95 for p95)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else math.nan


def time_calls(function: Callable[[], object], repeat: int, warmup: int = 1) -> list[float]:
    """Call `function` `warmup` times untimed, then `repeat` times; return ms each."""
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


@dataclass
class Figure:
    """One line of the report: a measured operation beside its baseline."""

    key: str
    label: str
    unit: str
    samples: list[float]
    baseline_label: str = ""
    baseline: list[float] = field(default_factory=list)
    target: str = ""
    """The target in words, e.g. "< 50 ms, ≤ 3× baseline"."""
    limit: Optional[float] = None
    """The target's absolute bound on the median, in `unit`."""
    max_ratio: Optional[float] = None
    """The target's bound on median / baseline median."""
    extra_checks: dict[str, bool] = field(default_factory=dict)
    """Further conditions of the target by name, e.g. a constant statement count."""
    notes: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95)

    @property
    def ratio(self) -> Optional[float]:
        if not self.baseline:
            return None
        base = median(self.baseline)
        return self.median / base if base > 0 else None

    @property
    def met(self) -> Optional[bool]:
        """Tell whether every part of the target holds; None without a target."""
        if self.limit is None and self.max_ratio is None and not self.extra_checks:
            return None
        checks = list(self.extra_checks.values())
        if self.limit is not None:
            checks.append(self.median < self.limit)
        if self.max_ratio is not None:
            checks.append(self.ratio is not None and self.ratio <= self.max_ratio)
        return all(checks)

    def shortfall(self) -> str:
        """Describe by how much a missed target is missed, or "" when it is met."""
        parts = []
        if self.limit is not None and self.median >= self.limit:
            parts.append(f"median {self.median / self.limit:.1f}× the limit")
        if self.max_ratio is not None and self.ratio is not None and self.ratio > self.max_ratio:
            parts.append(f"ratio {self.ratio:.1f}× instead of ≤ {self.max_ratio:g}×")
        parts.extend(f"{name} failed" for name, ok in self.extra_checks.items() if not ok)
        return "; ".join(parts)
