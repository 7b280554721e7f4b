"""The training katas (`katas/`): the board, one check on the running stack, and a reset.

    python -m airkit.katas            the board: each kata, its lesson, passed / not yet
    python -m airkit.katas check N    run kata N's check on the running stack (make kata N=3)
    python -m airkit.katas reset N    restore kata N's broken dag.py (make kata-reset N=3)

A kata is a folder `katas/<NN>_<name>/` with the broken DAG (`dag.py`) the trainee fixes in
place and its check (`test_<NN>_<name>.py`, pytest through the airkit plugin). The reference
solution is `katas/solutions/<NN>_<name>/dag.py`, never in a DAG folder by default. The checks
record their last outcome in `.state/katas/results.json`, which the board reads.
"""
from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from airkit.stack import project


@dataclass(frozen=True)
class Kata:
    folder: Path

    @property
    def number(self) -> int:
        return int(self.folder.name.split("_", 1)[0])

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def dag(self) -> Path:
        return self.folder / "dag.py"

    @property
    def check(self) -> Path:
        return self.folder / f"test_{self.folder.name}.py"

    @property
    def solution(self) -> Path:
        return self.folder.parent / "solutions" / self.folder.name / "dag.py"

    @property
    def title(self) -> str:
        """The first heading line of the DAG's doc_md (its module docstring)."""
        doc = ast.get_docstring(ast.parse(self.solution.read_text())) or ""
        heading = next((line for line in doc.splitlines() if line.strip()), self.name)
        return heading.lstrip("# ").strip()

    def constant(self, name: str) -> str:
        """A string constant of the check module (LESSON, HINT, EXPECT), read without importing it."""
        for node in ast.parse(self.check.read_text()).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
                return ast.literal_eval(node.value)
        raise KeyError(f"{self.check} defines no {name}")


def folder() -> Path:
    return project.root() / "katas"


def all_katas() -> list[Kata]:
    return sorted((Kata(p) for p in folder().iterdir() if p.is_dir() and p.name[:2].isdigit()),
                  key=lambda k: k.number)


def find(number: int) -> Kata:
    for kata in all_katas():
        if kata.number == number:
            return kata
    raise SystemExit(f"no kata {number}: choose one of {', '.join(str(k.number) for k in all_katas())}")


# --- results -------------------------------------------------------------------------------
def results_file() -> Path:
    return project.root() / ".state" / "katas" / "results.json"


def results() -> dict[str, dict]:
    path = results_file()
    return json.loads(path.read_text()) if path.exists() else {}


def record(kata_name: str, passed: bool, seconds: float) -> None:
    path = results_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = results()
    data[kata_name] = {"passed": passed, "seconds": round(seconds, 1),
                       "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    path.write_text(json.dumps(data, indent=2) + "\n")


# --- commands -------------------------------------------------------------------------------
def board() -> str:
    done = results()
    lines = ["airkit katas: fix each DAG in katas/<kata>/dag.py until `make kata N=<n>` passes", ""]
    for kata in all_katas():
        outcome = done.get(kata.name)
        mark = "passed  " if outcome and outcome["passed"] else "not yet "
        lines.append(f"  [{mark}] {kata.number}  {kata.title}")
        lines.append(f"              lesson: {kata.constant('LESSON').split('.')[0]}.")
    passed = sum(1 for k in all_katas() if done.get(k.name, {}).get("passed"))
    lines += ["", f"{passed} of {len(all_katas())} passed.  make kata N=<n> checks one; "
              "make kata-reset N=<n> restores its broken version."]
    return "\n".join(lines)


def check(number: int, pytest_args: list[str]) -> int:
    kata = find(number)
    print(f"kata {kata.number}: {kata.title}\n  edit  {kata.dag.relative_to(project.root())}\n")
    command = [sys.executable, "-m", "pytest", str(kata.check), "-p", "no:cacheprovider", "-q",
               "--airkit-stack=running", *pytest_args]
    return subprocess.run(command, cwd=project.root(), env=os.environ).returncode


def reset(number: int) -> int:
    kata = find(number)
    # The committed dag.py is the broken version: git has it, whatever the trainee changed.
    result = subprocess.run(["git", "checkout", "HEAD", "--", str(kata.dag)], cwd=project.root(),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"could not restore {kata.dag} from git: {result.stderr.strip()}")
    print(f"kata {kata.number}: {kata.dag.relative_to(project.root())} is the broken version again")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m airkit.katas", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("check", help="run one kata's check on the running stack")
    run.add_argument("number", type=int)
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest")
    sub.add_parser("reset", help="restore one kata's broken dag.py").add_argument("number", type=int)
    sub.add_parser("board", help="every kata and whether its check passed (the default)")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.number, args.pytest_args)
    if args.command == "reset":
        return reset(args.number)
    print(board())
    return 0


if __name__ == "__main__":
    sys.exit(main())
