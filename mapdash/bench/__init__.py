"""`make bench`: server and SQL timings on a throwaway PostGIS holding many synthetic cases.

Each module named `bench_*.py` here has `run(ctx: BenchContext)`, which measures with
`ctx.measure(...)`; the runner seeds the data once and prints every figure in one table."""
import os
import statistics
import time
from dataclasses import dataclass, field

from flask import Flask


@dataclass
class Figure:
    name: str
    p50_ms: float
    p95_ms: float
    floor_ms: float | None = None
    sql_p50_ms: float | None = None
    sql_p95_ms: float | None = None

    @property
    def verdict(self) -> str:
        if self.floor_ms is None:
            return ""
        return "ok" if self.p95_ms <= self.floor_ms else "OVER"


@dataclass
class BenchContext:
    app: Flask
    incidents: int
    figures: list[Figure] = field(default_factory=list)

    @staticmethod
    def timings(fn, repeat: int = 50, warmup: int = 3) -> list[float]:
        for _ in range(warmup):
            fn()
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
        return samples

    def measure(self, name: str, fn, *, sql=None, floor_ms: float | None = None,
                repeat: int = 50, warmup: int = 3) -> Figure:
        """Time `fn` (the server side) and, if given, `sql` (the same query run directly)."""
        server = self.timings(fn, repeat, warmup)
        figure = Figure(name, percentile(server, 50), percentile(server, 95), floor_ms)
        if sql is not None:
            direct = self.timings(sql, repeat, warmup)
            figure.sql_p50_ms, figure.sql_p95_ms = percentile(direct, 50), percentile(direct, 95)
        self.figures.append(figure)
        print(format_row(figure), flush=True)
        return figure


def percentile(samples: list[float], p: int) -> float:
    """The p-th percentile (1-99) of the samples; 0 when there are none."""
    if len(samples) <= 1:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes: the figures' context."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:8.2f}"


HEADER = f"{'benchmark':<58} {'p50 ms':>8} {'p95 ms':>8} {'sql p50':>8} {'sql p95':>8} {'floor':>7}"


def format_row(f: Figure) -> str:
    floor = "" if f.floor_ms is None else f"≤{f.floor_ms:g}"
    return (f"{f.name:<58} {_ms(f.p50_ms)} {_ms(f.p95_ms)} {_ms(f.sql_p50_ms)} {_ms(f.sql_p95_ms)}"
            f" {floor:>7} {f.verdict}")
