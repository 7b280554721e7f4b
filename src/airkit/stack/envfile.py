#!/usr/bin/env python3
"""Read and generate the stack's env file (stdlib only: it runs before any venv exists).

`generate` copies .env.example to .env, replacing every `<generated>` value with a fresh
secret of the right kind. An existing .env is never overwritten: secrets already baked into
a Postgres data directory must stay stable.
"""
from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import sys
from pathlib import Path

PLACEHOLDER = "<generated>"
_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def parse(path: str | os.PathLike) -> dict[str, str]:
    """KEY=VALUE lines; comments and blanks ignored. Values are taken literally."""
    values: dict[str, str] = {}
    for lineno, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise SystemExit(f"{path}:{lineno}: expected KEY=VALUE, got {raw!r}")
        values[match.group(1)] = match.group(2)
    return values


def unfilled(values: dict[str, str]) -> list[str]:
    """Keys still holding the example's placeholder: not an env file `make env` made."""
    return sorted(key for key, value in values.items() if value == PLACEHOLDER)


def new_secret(key: str) -> str:
    if key.endswith("FERNET_KEY"):
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    # URL-safe so it can sit inside connection URIs without escaping, and never with a leading
    # "-": a command line (`airflow users create --password X`, `redis-server --requirepass X`)
    # would take it for an option, and 1 fresh .env in 64 would fail to start.
    while True:
        secret = secrets.token_urlsafe(24)
        if not secret.startswith("-"):
            return secret


def render(example: str, overrides: dict[str, str | None] | None = None) -> str:
    """The example's text with placeholders filled and `overrides` applied, comments kept. An
    override of None drops the key's line (what reads the file then falls back to its default)."""
    overrides = dict(overrides or {})
    out = []
    for raw in example.splitlines():
        match = _LINE.match(raw.strip())
        if match:
            key, value = match.groups()
            if key in overrides and overrides[key] is None:
                overrides.pop(key)
                continue
            if key in overrides:
                value = overrides.pop(key)
            elif value == PLACEHOLDER:
                value = new_secret(key)
            raw = f"{key}={value}"
        out.append(raw)
    out.extend(f"{key}={value}" for key, value in overrides.items() if value is not None)
    return "\n".join(out) + "\n"


def generate(example: Path, out: Path, overrides: dict[str, str] | None = None) -> bool:
    """Write `out` from `example`; False (and no write) when `out` already exists."""
    if out.exists():
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(render(example.read_text(), overrides))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="create the env file with fresh secrets if missing")
    gen.add_argument("--example", type=Path, default=Path(".env.example"))
    gen.add_argument("--out", type=Path, default=Path(".env"))
    gen.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a value (tests use it for ports)")
    check = sub.add_parser("check", help="warn about settings the example has and the env file lacks")
    check.add_argument("--example", type=Path, default=Path(".env.example"))
    check.add_argument("--file", type=Path, default=Path(".env"))
    get = sub.add_parser("get", help="print one value")
    get.add_argument("--file", type=Path, default=Path(".env"))
    get.add_argument("key")
    args = parser.parse_args(argv)

    if args.command == "generate":
        overrides = dict(item.split("=", 1) for item in args.set)
        if generate(args.example, args.out, overrides):
            print(f"Created {args.out} with freshly generated secrets (mode 600).")
        return 0
    values = parse(args.file)
    if args.command == "check":
        missing = sorted(set(parse(args.example)) - set(values))
        if missing:
            print(f"warning: {args.file} lacks settings added to {args.example} since it was made: "
                  f"{', '.join(missing)} (defaults apply; copy them over to change them)", file=sys.stderr)
        return 0
    if args.key not in values:
        print(f"{args.key} is not set in {args.file}", file=sys.stderr)
        return 1
    print(values[args.key])
    return 0


if __name__ == "__main__":
    sys.exit(main())
