"""What one Airflow line makes of a DAG folder: per file, the DAG ids it defines, its import
error and the warnings importing it raised. Run in that line's venv (a process imports one
Airflow): ``python -m airkit.upgrade.parse DAGS_DIR OUT_JSON``.

Each file is parsed on its own, so a warning belongs to the file that raised it. Nothing is
written to a database: a DagBag only imports the files.
"""
from __future__ import annotations

import json
import sys
import tempfile
import warnings
from pathlib import Path


def dag_files(dags_dir: Path) -> list[Path]:
    """The folder's Python files, as Airflow lists them: no hidden or dunder paths."""
    return sorted(p for p in dags_dir.rglob("*.py")
                  if not any(part.startswith((".", "__")) for part in p.relative_to(dags_dir).parts))


def parse_file(path: Path) -> dict:
    from airflow import __version__
    from airflow.models import DagBag

    kwargs = {"include_examples": False} if int(__version__.split(".")[0]) < 3 else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bag = DagBag(dag_folder=str(path), safe_mode=False, **kwargs)
    errors = list(bag.import_errors.values())
    return {
        "dags": sorted(bag.dag_ids),
        "error": str(errors[0]).strip().splitlines()[-1] if errors else None,
        "warnings": sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught}),
    }


def warm_up() -> None:
    """Parse a DAG-less file once: what Airflow warns about on its first parse (its own config,
    e.g. 2.11's timer-unit notice) is not any DAG file's doing."""
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty_dag_file.py"
        empty.write_text("# airflow dag\n")
        parse_file(empty)


def parse_folder(dags_dir: Path) -> dict:
    from airflow import __version__

    warm_up()
    return {"airflow": __version__,
            "files": {str(p.relative_to(dags_dir)): parse_file(p) for p in dag_files(dags_dir)}}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m airkit.upgrade.parse DAGS_DIR OUT_JSON", file=sys.stderr)
        return 2
    result = parse_folder(Path(argv[1]).resolve())
    Path(argv[2]).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
