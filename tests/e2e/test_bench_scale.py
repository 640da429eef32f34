"""bench/scale.py in miniature: two worker processes on PostgreSQL print the scaling table.

A smoke test (about 20 s): the figures themselves are the benchmark's to report."""

from __future__ import annotations

import os

import pytest

from ..conftest import PG_ENV, bench_module

pytestmark = pytest.mark.e2e


def test_scale_bench_prints_its_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(f"{PG_ENV} is not set: the scaling bench needs PostgreSQL")
    scale = bench_module("scale")
    argv = ["scale.py", "--server", server, "--sources", "30", "--hosts", "3", "--workers", "2"]
    argv += ["--probes", "4", "--probe-gap", "0.2", "--idle", "1", "--latency", "5"]
    monkeypatch.setattr("sys.argv", argv)
    scale.main()
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("2 "))
    cells = [cell.strip() for cell in row.split("|")]
    assert float(cells[1]) > 0  # sources/s
    assert float(cells[3]) > 0  # round trips per source
    assert "UPDATE sources" in out
    assert "sources; the " in out  # the extrapolation's conclusion
