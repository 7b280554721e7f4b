"""The upgrade check's verdict per DAG file, from what the checks found, as Markdown and JSON."""
from __future__ import annotations

from pathlib import Path

from airkit.upgrade import compare
from airkit.upgrade.hints import hints_for


def _finding(kind: str, text: str, on: str | None = None, context: tuple[str, ...] = ()) -> dict:
    """`context` (a log, the DAG's source) is searched for the known change only when the text
    itself names none: a silent change shows as a plain difference of values."""
    changes = hints_for(text) or hints_for(*context)
    return {"kind": kind, "on": on, "text": text,
            "hints": [{"change": c.key, "category": c.category, "silent": c.silent, "hint": c.hint} for c in changes]}


def _file_findings(name: str, parses: dict[str, dict], ruff: list[dict], dags_dir: Path) -> list[dict]:
    (old_v, old), (new_v, new) = parses.items()
    a, b = old["files"].get(name, {}), new["files"].get(name, {})
    found = []
    for version, mine, other in ((old_v, a, b), (new_v, b, a)):
        if mine.get("error") and mine.get("error") != other.get("error"):
            found.append(_finding("import error", mine["error"], on=version))
        for warning in sorted(set(mine.get("warnings", [])) - set(other.get("warnings", []))):
            found.append(_finding("warning", warning, on=version))
    if a.get("dags") != b.get("dags") and not (a.get("error") or b.get("error")):
        found.append(_finding("DAG ids", f"{old_v}: {a.get('dags')}; {new_v}: {b.get('dags')}"))
    for f in ruff:
        if Path(f["file"]).resolve() == (dags_dir / name).resolve():
            found.append(_finding("ruff", f"{f['code']} line {f['line']}: {f['message']}"))
    return found


def _live_findings(live: dict[str, dict], file_of: dict[str, str], dags_dir: Path) -> dict[str, list[dict]]:
    """File name -> what its DAGs did differently on the two lines' stacks."""
    versions = tuple(live)
    found: dict[str, list[dict]] = {}
    for d in compare.runs(versions, *live.values()):
        name = file_of.get(d.dag_id, "?")
        source = (dags_dir / name).read_text() if (dags_dir / name).is_file() else ""
        found.setdefault(name, []).append(_finding(d.kind, d.text, d.on, (*d.log, source)))
    return found


def build(static: dict, live: dict[str, dict] | None = None) -> dict:
    """Per file: its DAG ids, its findings and "same" or "differs". `live`: each line's live
    results (airkit.upgrade.live), older line first."""
    dags_dir = Path(static["dags_dir"])
    parses = {p["airflow"]: p for _, p in sorted(static["parse"].items())}
    names = sorted(set().union(*(p["files"] for p in parses.values())))
    file_of = {dag_id: name for p in parses.values() for name, f in p["files"].items() for dag_id in f.get("dags", [])}
    ran = _live_findings(live, file_of, dags_dir) if live else {}
    files = {}
    for name in names:
        findings = _file_findings(name, parses, static["ruff"], dags_dir) + ran.get(name, [])
        dags = sorted(set().union(*(p["files"].get(name, {}).get("dags", []) for p in parses.values())))
        files[name] = {"dags": dags, "verdict": "differs" if findings else "same", "findings": findings}
    in_dags = {str((dags_dir / name).resolve()) for name in names}
    elsewhere = [_finding("ruff", f"{f['file']}:{f['line']} {f['code']}: {f['message']}")
                 for f in static["ruff"] if str(Path(f["file"]).resolve()) not in in_dags]
    return {"lines": list(parses), "dags_dir": str(dags_dir), "files": files, "other_paths": elsewhere,
            "config_lint": [_finding(_lint_kind(text), text) for text in static["config_lint"]],
            "live": _live_summary(live) if live else None,
            "tables": [_finding(d.kind, d.text) for d in compare.tables(tuple(live), *live.values())] if live else []}


def _live_summary(live: dict[str, dict]) -> dict:
    first = next(iter(live.values()))
    last_date = list(first["dates"].values())[-1] if first["dates"] else {"tables": {}}
    return {"dates": list(first["dates"]),
            "runs": {v: sum(len(d["runs"]) for d in r["dates"].values()) for v, r in live.items()},
            "tables": sorted({t for d in first["dates"].values() for t in d["tables"]}),
            # rows each table's checksum covered after the last date (older line): 0 proves little
            "rows": {t: snap.get("count") for t, snap in last_date["tables"].items()}}


def _lint_kind(text: str) -> str:
    # "Changed default value of X ... You currently have Y set": the env file already says what
    # it wants, so it is a note, not a change to make.
    return "default changed" if text.startswith("Changed default value") else "config lint"


def needs_work(report: dict) -> bool:
    """Any file that differs, any AIR3 finding elsewhere, any env-file option to change."""
    return (any(f["verdict"] != "same" for f in report["files"].values()) or bool(report["other_paths"])
            or bool(report.get("tables")) or any(f["kind"] == "config lint" for f in report["config_lint"]))


def _bullets(findings: list[dict]) -> list[str]:
    out = []
    for f in findings:
        where = f" on {f['on']} only" if f["on"] else ""
        text = f["text"].replace("\n", "\n    ")  # a table's row diff stays inside its bullet
        out.append(f"- **{f['kind']}{where}**: {text}")
        out += [f"  - hint ({h['category']}{', silent' if h['silent'] else ''}): {h['hint']}" for h in f["hints"]]
    return out


def markdown(report: dict) -> str:
    old, new = report["lines"]
    same = sum(f["verdict"] == "same" for f in report["files"].values())
    live = report.get("live")
    checks = "each line's parse, ruff AIR3, `airflow config lint`" + (
        f"; live runs on both lines' stacks for {', '.join(live['dates'])}" if live else "; not run live")
    lines = [f"# Upgrade check: Airflow {old} → {new}", "",
             (f"DAG folder `{report['dags_dir']}`: {same} of {len(report['files'])} files the same on both "
              f"lines ({checks})."), "",
             "| file | DAGs | verdict |", "|---|---|---|"]
    lines += [f"| {name} | {', '.join(f['dags']) or '-'} | {f['verdict']} |" for name, f in report["files"].items()]
    for name, f in report["files"].items():
        if f["findings"]:
            lines += ["", f"## {name}", "", *_bullets(f["findings"])]
    if live:
        lines += ["", f"## Tables ({', '.join(live['tables']) or 'none named'})", ""]
        lines += [line for f in report["tables"] for line in _bullets([f])] or ["- the same after every date"]
    if report["other_paths"]:
        lines += ["", "## Other paths (ruff AIR3)", "", *_bullets(report["other_paths"])]
    lines += ["", f"## Env file (`airflow config lint` on {new})", ""]
    lines += _bullets(report["config_lint"]) or ["- nothing to change"]
    return "\n".join(lines) + "\n"


def summary(report: dict) -> str:
    """One line per file for the terminal."""
    return "\n".join(f"{f['verdict']:8} {name}" + (f"  ({len(f['findings'])} findings)" if f["findings"] else "")
                     for name, f in report["files"].items())
