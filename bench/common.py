"""Shared set-up for benchmarks: a real Application over the in-process fake Bot API and a real SQLite file."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.config import Config
from tests.harness import make_config


def bench_config(folder: Path, **overrides: Any) -> Config:
    """A production-like config: database file on disk (WAL, synchronous=FULL), no PTB rate limiter."""
    return make_config(folder, **overrides)


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as `name value unit`."""
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"{name} {text} {unit}", flush=True)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Measure wall time of a block; the elapsed seconds land in the yielded list."""
    box: list[float] = []
    start = time.perf_counter()
    yield box
    box.append(time.perf_counter() - start)


def rss_mb() -> float:
    """Current resident set size of this process in MB."""
    with Path("/proc/self/status").open() as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(module: str, folder: Path, timeout: float) -> dict[str, Any]:
    """Run `module._child(folder)` in a fresh Python process and return the JSON it prints last."""
    # A fresh process, so the figures (start-up time, memory, cold caches) are not this one's.
    out = subprocess.run(
        [sys.executable, "-c", f"from {module} import _child; _child({str(folder)!r})"],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
