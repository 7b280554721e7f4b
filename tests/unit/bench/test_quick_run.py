"""`python -m bench --quick` runs end to end (load section, tiny size) and writes its JSON.

The stack section is not run here: it starts Airflow stacks (minutes); CI runs `make bench QUICK=1`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.stack import REPO


def test_quick_load_run_writes_results_and_never_fails_on_targets(pg_dsn: str, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--sections", "load", "--sizes", "300",
         "--pg-dsn", pg_dsn, "--out", str(tmp_path), "--note", "unit test"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (path,) = tmp_path.glob("*-quick.json")
    data = json.loads(path.read_text())
    methods = data["load"]["sizes"]["300"]
    assert methods["raw COPY (empty table)"]["ratio_to_raw_copy"] == 1.0
    assert {m["rows"] for m in methods.values()} == {300}
    assert data["machine"]["cores"] and data["note"] == "unit test" and data["errors"] == []
    assert {t["verdict"] for t in data["targets"]} <= {"met", "missed", "n/a"}
    assert "Bulk load, 300 events" in result.stdout
