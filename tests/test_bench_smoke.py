"""The benchmark (`python -m bench`) still runs end to end, at a tiny size, and prints every figure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIGURES = (
    "Snapshot generation",
    "Filter change, median (query layer)",
    "Filter change, median (usual pandas pattern)",
    "Filter change, speed-up over usual pattern",
    "Filter change, use-of-force page, median (query layer)",
    "Cold start to first page",
    "Peak server memory, 2 sessions",
    "Server CPU per page view",
    "Ingest, CSV file",
    "Ingest, JSON pages",
    "Incremental refresh bytes vs full pull",
)


def test_quick_benchmark_prints_every_figure_with_its_target(tmp_path):
    """A quick run generates data, drives the real app and the loaders, and reports each figure and target."""
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = {line.split("|")[1].strip(): line for line in run.stdout.splitlines() if line.startswith("| ")}
    missing = [name for name in FIGURES if name not in rows]
    assert not missing, f"figures missing from the table: {missing}\n{run.stdout[-3000:]}"
    for name in ("Cold start to first page", "Server CPU per page view", "Ingest, JSON pages"):
        assert "≤" in rows[name] or "≥" in rows[name], f"{name} is printed without its target"
    assert (tmp_path / "results.md").read_text(encoding="utf-8").count("| ") >= len(FIGURES)
