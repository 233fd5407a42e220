"""The benchmark harness works end to end on a tiny size (no timing is asserted here:
targets are checked by ``python -m benchmarks --check``, never by the test suite)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_tiny_run_writes_results(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    (result,) = tmp_path.glob("*-tiny.json")
    doc = json.loads(result.read_text())
    assert {"machine", "scenarios", "profile"} <= set(doc)
    assert doc["machine"]["cpus"] and doc["machine"]["msgspec"]
    scenarios = doc["scenarios"]
    for name in ("decode", "cpu_ceiling", "latency_sweep", "memory", "faults", "budget", "scaling"):
        assert "error" not in scenarios[name], scenarios[name]
        assert scenarios[name]["rows"], name
    sweep = scenarios["latency_sweep"]["rows"]
    assert {r["name"] for r in sweep} >= {"sequential", "gather-all", "korecampaign"}
    assert all(r["rows"] == 2_000 for r in sweep if r["name"] != "korecampaign iter_contact_list")
    assert result.with_suffix(".md").read_text().startswith("# Benchmark results")
    assert (tmp_path / result.stem / "cpu-profile.txt").exists()


@pytest.mark.slow
def test_check_flag_names_missed_targets(tmp_path: Path) -> None:
    """--check exits 1 and names each missed target (the tiny budget run cannot reach the
    share-of-budget goal in a one-second window, so at least that one is missed)."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--only", "decode,budget", "--check", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    doc = json.loads(next(tmp_path.glob("*-tiny.json")).read_text())
    missed = [t["target"] for s in doc["scenarios"].values() for t in s["targets"] if not t["ok"]]
    if missed:
        assert out.returncode == 1
        for name in missed:
            assert f"MISSED: {name}" in out.stderr
    else:
        assert out.returncode == 0


def test_a_run_without_sweep_or_memory_draws_no_empty_figure(tmp_path: Path) -> None:
    """``--only sync`` results have nothing the figure shows: no PNG, a note saying so."""
    from benchmarks.report import plot

    note = plot({"scenarios": {"sync": {"rows": [{"store": "sqlite"}]}}}, tmp_path / "r.png")
    assert note is not None and "no plot" in note and "latency sweep" in note
    assert not (tmp_path / "r.png").exists()
