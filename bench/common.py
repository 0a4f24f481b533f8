"""What the halves of bench/run.py share: result kinds, statistics and number formats.

No torch here: render.py, targets.py and plot.py import only this (run.py --rerender).
"""
import os
import statistics
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND = "/usr/bin/python3 bench/run.py"

CLASSIFICATION = "classification"
DETECTION = "detection"
LOOP = "loop"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    """(max - min) / median of the repetitions."""
    values = [v for v in values if v is not None]
    if len(values) < 2 or not statistics.median(values):
        return 0.0
    return (max(values) - min(values)) / statistics.median(values)


def good(results):
    """The rows that were measured (not failed, not absent from this torchvision)."""
    return [r for r in results if "error" not in r]


def n_threads(n):
    return f"{n} thread" + ("" if n == 1 else "s")


def ms(seconds):
    if seconds is None:
        return "–"
    if seconds < 0.01:
        return f"{seconds * 1e3:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    return f"{seconds:.2f} s"


def ms_spread(values):
    """The median and, when there are several, ± half the range over the median."""
    values = [v for v in values or [] if v is not None]
    if not values:
        return "–"
    if len(values) < 2:
        return ms(median(values))
    return f"{ms(median(values))} ±{spread(values) * 50:.0f}%"


def mib(kib):
    return "–" if kib is None else f"{kib / 1024:.0f} MiB"


def ratio(a, b):
    return None if a is None or not b else a / b


def fx(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}x"


def count(value):
    """An instruction count: millions, or thousands of millions."""
    if value is None:
        return "–"
    if value >= 1e9:
        return f"{value / 1e9:,.2f} G"
    return f"{value / 1e6:,.1f} M"


def fraction(q):
    """A ratio below 1 as 1/N beside its value; 1 or more as a multiple."""
    return f"{q:.4f} (1/{1 / q:.0f})" if q < 1 else f"{q:.2f} ({q:.1f}x)"


def run_timed(cmd, env, what, stdout=subprocess.PIPE, tail=2000):
    """Runs cmd; returns the finished process and its wall seconds. Raises naming `what`
    and the end of its stderr when it fails."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True,
                          errors="replace")
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}): {proc.stderr.strip()[-tail:]}")
    return proc, seconds
