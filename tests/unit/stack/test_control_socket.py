"""supervisord's control socket works however deep the state dir is (a DAG repo's `.state` in
a long checkout path once put it past the 107-byte socket path limit: supervisord binds the
path plus ".<pid>" first)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from airkit.stack import supervisor
from airkit.stack.processes import control_socket

BIN = Path(sys.executable).parent


def test_a_shallow_state_dir_keeps_its_socket(tmp_path):
    assert control_socket(tmp_path / "state") == tmp_path / "state" / "run" / "supervisor.sock"


@pytest.fixture
def deep_state(tmp_path):
    # The path fits the limit on its own, not with supervisord's ".<pid>" behind it.
    state = tmp_path.joinpath("x" * (104 - len("/state/run/supervisor.sock/") - len(str(tmp_path))), "state")
    (state / "run").mkdir(parents=True)
    (state / "logs").mkdir()
    assert 100 < len(os.fsencode(state / "run" / "supervisor.sock")) <= 107
    return state


def test_a_deep_state_dir_gets_a_short_socket_of_its_own(deep_state, tmp_path):
    sock = control_socket(deep_state)
    assert len(os.fsencode(f"{sock}.4194304")) <= 107
    assert control_socket(deep_state) == sock
    assert control_socket(deep_state.with_name("other")) != sock


def test_supervisord_starts_and_answers_under_a_deep_state_dir(deep_state):
    conf = deep_state / "run" / "supervisord.conf"
    conf.write_text(supervisor.render([], deep_state, control_socket(deep_state)))
    ctl = [str(BIN / "supervisorctl"), "-c", str(conf)]
    subprocess.run([str(BIN / "supervisord"), "-c", str(conf)], check=True, capture_output=True, timeout=30)
    try:
        for _ in range(100):
            answer = subprocess.run([*ctl, "pid"], capture_output=True, text=True, timeout=30)
            if answer.returncode == 0:
                break
        assert answer.stdout.strip().isdigit(), answer.stdout + answer.stderr
    finally:
        subprocess.run([*ctl, "shutdown"], capture_output=True, timeout=30)
