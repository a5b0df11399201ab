"""Smoke test of the benchmark harness at tiny sizes (no timing assertions)."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_benchmark_runs_and_reports_every_section(tmp_path):
    out = tmp_path / "bench.json"
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick",
                          "--json", str(out)], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "## Answer latency in-process" in run.stdout and "plain LangChain chain" in run.stdout
    results = json.loads(out.read_text())
    models = ["multilingual-e5-small", "all-MiniLM-L6-v2"]  # side by side in every section
    assert all(results["in_process"][f"plaibot {m}"]["p50"] > 0 for m in models)
    assert all(results["http"]["cold_start_s"][m] > 0 for m in models)
    assert [level["clients"] for level in results["http"]["levels"]] == [1, 4]
    assert all(level["error_rate"] == 0 for level in results["http"]["levels"])
    indexing = results["indexing"]
    assert [(row["embedder"].split(":")[0], row["corpus"]) for row in indexing] == [
        (m, size) for m in models for size in ("1x", "2x")]
    assert all(indexing[n + 1]["chunks"] == 2 * indexing[n]["chunks"] for n in (0, 2))
