"""The static half of the upgrade check: ruff's AIR3 rules, `airflow config lint` on the env file,
and each line's parse of the DAG folder (``parse``, in that line's venv)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from airkit.stack import envfile, project

LINES = (2, 3)


def ruff_findings(paths: list[Path]) -> list[dict]:
    """ruff --preview --select AIR3: the rules for code that breaks (AIR301/302) or should move
    (AIR311/312) on Airflow 3."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:  # ruff would only warn and report nothing: a clean bill for code it never read
        raise FileNotFoundError(f"nothing to lint at {', '.join(missing)}")
    ruff = Path(sys.executable).with_name("ruff")
    out = subprocess.run([str(ruff), "check", "--preview", "--select", "AIR3", "--output-format", "json",
                          "--no-cache", "--exit-zero", "--isolated", *map(str, paths)],
                         capture_output=True, text=True, check=True).stdout
    return [{"file": f["filename"], "line": f["location"]["row"], "code": f["code"], "message": f["message"]}
            for f in json.loads(out or "[]")]


def isolated_airflow_env(home: str) -> dict[str, str]:
    """The caller's environment without its Airflow settings, in a throwaway AIRFLOW_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    return {**env, "AIRFLOW_HOME": home}


def config_lint(env_file: Path) -> list[str]:
    """What Airflow 3's `airflow config lint` says of the env file's AIRFLOW__ options."""
    values = {k: v for k, v in envfile.parse(env_file).items() if k.startswith("AIRFLOW__")}
    with tempfile.TemporaryDirectory() as home:
        result = subprocess.run([str(project.venv_python(3)), "-m", "airflow", "config", "lint"],
                                env={**isolated_airflow_env(home), **values}, capture_output=True, text=True, check=False)
    if result.returncode != 0 and "Found issues" not in result.stdout:
        raise RuntimeError(f"airflow config lint failed ({result.returncode}): {result.stderr[-2000:]}")
    return [text.strip()[2:] for text in result.stdout.splitlines() if text.strip().startswith("- ")]


def parse_on(major: int, dags_dir: Path) -> dict:
    """Line `major`'s parse of the folder (see airkit.upgrade.parse)."""
    with tempfile.TemporaryDirectory() as home:
        out = Path(home) / "parse.json"
        result = subprocess.run([str(project.venv_python(major)), "-m", "airkit.upgrade.parse", str(dags_dir), str(out)],
                                env=isolated_airflow_env(home), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"parsing {dags_dir} on Airflow {major} failed: {result.stderr[-2000:]}")
        return json.loads(out.read_text())


def check(dags_dir: Path, env_file: Path | None, extra_paths: list[Path] = ()) -> dict:
    """Everything the static half finds: per line's parse, ruff, config lint."""
    return {
        "dags_dir": str(dags_dir),
        "parse": {str(major): parse_on(major, dags_dir) for major in LINES},
        "ruff": ruff_findings([dags_dir, *extra_paths]),
        "config_lint": config_lint(env_file) if env_file else [],
    }
