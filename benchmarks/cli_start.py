"""How long the `plaibot` command takes to start: the median of five runs of each command.

`plaibot --help` and `plaibot ask ""` (rejected) load no model, store or web framework, so
they should take well under 0.5 s; the CPU time column is steadier than wall time on a
machine that is doing other work.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = [["--help"], ["--version"], ["ask", ""]]
RUNS = 5
TARGET_S = 0.5


def run_once(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `python -m plaibot.cli ARGS`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "plaibot.cli", *args], capture_output=True,
                   env={**os.environ, "COLUMNS": "100"}, timeout=60)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    print("## Command start-up (median of five runs after one warm-up)\n")
    print("| command | wall s | CPU s | target |\n|---|---|---|---|")
    for args in COMMANDS:
        run_once(args)  # warm the file cache
        samples = [run_once(args) for _ in range(RUNS)]
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        shown = " ".join(repr(a) if not a else a for a in args)
        print(f"| plaibot {shown} | {wall:.3f} | {cpu:.3f} | < {TARGET_S} |")


if __name__ == "__main__":
    main()
