"""Kata 6's check: importing the DAG file opens no connection (a Python audit hook sees every
socket the import opens), and the DAG runs on the stack."""
from __future__ import annotations

import json
import subprocess
import sys

DAG_ID = "kata_06_parse_time"
TABLES: list[str] = []
LESSON = ("The DAG processor imports every DAG file every few seconds. Anything at the top level "
          "of the file (HTTP, database, Variable.get) runs on every import, slows every parse, and "
          "breaks the DAG when the service is down.")
HINT = ("Move the HttpHook call into check_source, so it runs when the task does; import the "
        "hook inside the task too.")
EXPECT = "does I/O when it is imported"

# Runs in a fresh interpreter: Airflow is imported before the hook is set, so only the DAG
# file's own work is seen, then every socket the import opens is recorded with its line.
_IMPORT_PROBE = """
import json, runpy, sys, time, traceback
import airflow.providers.common.compat.sdk, airflow.providers.http.hooks.http, airkit
path = sys.argv[1]
seen = []
def audit(event, args):
    if event in ("socket.connect", "socket.getaddrinfo"):
        line = next((f.lineno for f in traceback.extract_stack() if f.filename == path), "?")
        seen.append(f"{event} {args[1] if event == 'socket.connect' else args[:2]} (line {line})")
sys.addaudithook(audit)
started = time.perf_counter()
try:
    runpy.run_path(path)
except Exception as exc:
    seen.append(f"the import failed: {exc!r}")
print(json.dumps({"io": seen, "seconds": time.perf_counter() - started}))
"""


def import_io(path, stack, home) -> dict:
    env = {"AIRFLOW_HOME": str(home), "PATH": "/usr/bin:/bin",
           # The DAG's connection, as the stack's processes have it: the source answers.
           "AIRFLOW_CONN_EVENTS_API": stack.events_url}
    done = subprocess.run([sys.executable, "-c", _IMPORT_PROBE, str(path)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_file_does_no_io_when_imported(kata, airflow_stack, run_dag, tmp_path):
    probe = import_io(kata.path, airflow_stack, tmp_path)
    print(f"import of {kata.path.name}: {probe['seconds']:.2f}s")
    assert not probe["io"], f"{kata.path.name} does I/O when it is imported: " + "; ".join(probe["io"])
    assert run_dag(kata.dag_id).xcom("check_source")["status"] == "ok"
