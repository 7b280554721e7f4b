"""How the airkit pytest plugin reads its options, in a pytest session of another repository.

A DAG repo sets `--airkit-dags-dir` in its own ini file's addopts; the folder must be found
whatever directory pytest is started from, and a folder that is not there must stop the session
at once instead of starting a stack that loads no DAGs. No stack starts here: only the options
are read.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

PROBE = """
from airkit.testing.plugin import HarnessConfig

def test_probe(pytestconfig):
    print("DAGS_DIR=" + str(HarnessConfig.of(pytestconfig).dags_dir))
"""


@pytest.fixture
def dag_repo(pytester: pytest.Pytester):
    """A DAG repository with its own pyproject.toml that names its dags/ in addopts."""
    repo = pytester.mkdir("dag-repo")
    (repo / "dags").mkdir()
    (repo / "tests").mkdir()
    (repo / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\naddopts = "--airkit-dags-dir=dags"\n')
    (repo / "tests" / "test_probe.py").write_text(PROBE)
    return repo


def test_a_relative_dags_dir_in_addopts_is_taken_from_the_rootdir(pytester, dag_repo, monkeypatch):
    monkeypatch.delenv("AIRKIT_DAGS_DIR", raising=False)
    # Started from the directory above the repository, as a CI job of a monorepo would.
    result = pytester.runpytest_subprocess(str(dag_repo), "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*DAGS_DIR={dag_repo / 'dags'}"])


def test_a_dags_dir_that_does_not_exist_stops_the_session(pytester, dag_repo, monkeypatch):
    monkeypatch.delenv("AIRKIT_DAGS_DIR", raising=False)
    result = pytester.runpytest_subprocess(str(dag_repo), "--airkit-dags-dir=no-such-folder")
    assert result.ret != 0
    result.stdout.fnmatch_lines([f"*DAG folder {dag_repo / 'no-such-folder'} does not exist*"])
