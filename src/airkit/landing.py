"""Landing files: the hand-over point between "fetch" and "load" tasks.

A landing file is written by one task and read by another, possibly on a different worker,
so two rules hold: it lives under the shared ``AIRKIT_DATA_DIR``, and it only ever appears
complete (written to a temp file in the same directory, then renamed over the old one).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException

DATA_DIR_ENV = "AIRKIT_DATA_DIR"


def data_dir() -> str:
    """Root of the landing files, from ``$AIRKIT_DATA_DIR``.

    Meant to be called at task run time (e.g. as a template macro), never at DAG parse
    time. There is deliberately no fallback: with several workers, a silent default such
    as /tmp would put each task's file on a different machine.
    """
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    if not value:
        raise AirflowFailException(
            f"{DATA_DIR_ENV} is not set on this worker; it must name the landing-file directory "
            "shared by all workers (see .env.example)"
        )
    return value


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see either the old or the new file.

    The temp file sits in the target directory because ``os.replace`` is only atomic within
    one file system; fsync before the rename so a crash cannot leave a renamed empty file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def detect_format(path: str | os.PathLike[str], file_format: str | None = None) -> str:
    if file_format:
        fmt = file_format.lower()
    else:
        fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in ("json", "csv"):
        raise AirflowFailException(f"{path}: unsupported landing-file format {fmt!r} (use json or csv)")
    return fmt


def read_records(path: str | os.PathLike[str], file_format: str | None = None) -> list[Any]:
    """Read a landing file: a JSON list of objects, or a CSV file with a header row.

    :raises AirflowFailException: if the file is missing or not parseable. A rerun of the
        *same* task would read the same file, so retrying cannot help; rerun the fetch.
    """
    fmt = detect_format(path, file_format)
    try:
        if fmt == "csv":
            with open(path, newline="", encoding="utf-8") as fh:
                return list(csv.DictReader(fh))
        with open(path, "rb") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise AirflowFailException(f"landing file {path} does not exist; did the fetch task run?") from None
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise AirflowFailException(f"landing file {path} is not valid {fmt.upper()}: {exc}") from None
    if not isinstance(data, list):
        raise AirflowFailException(
            f"landing file {path} must hold a JSON list of records, got {type(data).__name__}"
        )
    return data
