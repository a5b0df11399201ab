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
    assert results["in_process"]["plaibot"]["p50"] > 0
    assert [level["clients"] for level in results["http"]["levels"]] == [1, 4]
    assert all(level["error_rate"] == 0 for level in results["http"]["levels"])
    assert [row["corpus"] for row in results["indexing"]] == ["1x", "2x"]
    assert results["indexing"][1]["chunks"] == 2 * results["indexing"][0]["chunks"]
