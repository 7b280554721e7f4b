"""`python -m airkit.k8s secrets`: the chart's Secrets carry exactly the env file's values."""
from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
import yaml

from airkit import k8s
from airkit.stack import envfile

REPO = Path(__file__).resolve().parents[3]
VALUES = REPO / "deploy" / "helm" / "values.yaml"


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "stack.env"
    envfile.generate(REPO / ".env.example", path)
    return path


def run(env_file: Path, out: Path, *extra: str) -> int:
    args = ["secrets", "--env-file", str(env_file), "--values", str(VALUES), "--out", str(out), *extra]
    return k8s.main(args)


def decoded(out: Path) -> dict[str, dict[str, str]]:
    """Secret name -> its keys and decoded values."""
    docs = (yaml.safe_load(path.read_text()) for path in out.glob("*.yaml"))
    return {doc["metadata"]["name"]: {key: base64.b64decode(value).decode()
                                      for key, value in doc["data"].items()}
            for doc in docs}


def test_the_secrets_decode_to_the_env_file_values(env_file: Path, tmp_path: Path):
    assert run(env_file, tmp_path / "out", "--postgres", "db.internal:5432") == 0
    env = envfile.parse(env_file)
    user, password, db = env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"]
    assert decoded(tmp_path / "out") == {
        "airkit-fernet-key": {"fernet-key": env["AIRFLOW__CORE__FERNET_KEY"]},
        "airkit-api-secret-key": {"api-secret-key": env["AIRFLOW__API__SECRET_KEY"]},
        "airkit-webserver-secret-key": {"webserver-secret-key": env["AIRFLOW__API__SECRET_KEY"]},
        "airkit-jwt-secret": {"jwt-secret": env["AIRFLOW__API_AUTH__JWT_SECRET"]},
        # libpq's scheme: KEDA's Postgres scaler reads this Secret too.
        "airkit-metadata": {"connection": f"postgresql://{user}:{password}@db.internal:5432/{db}"},
        "airkit-result-backend": {"connection": f"db+postgresql://{user}:{password}@db.internal:5432/{db}"},
        "airkit-broker-url": {"connection": f"redis://:{env['REDIS_PASSWORD']}@redis:6379/0"},
    }


def test_the_secret_names_are_the_ones_values_yaml_gives_the_chart(env_file: Path, tmp_path: Path):
    run(env_file, tmp_path / "out")
    values = yaml.safe_load(VALUES.read_text())
    named = {k8s.secret_name(values, dotted, source=VALUES) for dotted in k8s.SECRETS}
    assert {path.stem for path in (tmp_path / "out").glob("*.yaml")} == named


def test_the_files_are_private_and_no_secret_reaches_stdout(env_file: Path, tmp_path: Path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "airkit-jwt-secret.yaml").write_text("left by an older run\n")
    (tmp_path / "out" / "airkit-jwt-secret.yaml").chmod(0o644)
    run(env_file, tmp_path / "out")
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in (tmp_path / "out").iterdir()}
    assert set(modes.values()) == {0o600}, modes
    printed = capsys.readouterr()
    for value in envfile.parse(env_file).values():
        if len(value) >= 16:  # the generated secrets; short values (ports, names) may well appear
            assert value not in printed.out + printed.err


@pytest.mark.parametrize("key", ["AIRFLOW__CORE__FERNET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"])
def test_a_missing_key_fails_clearly_and_writes_nothing(env_file: Path, tmp_path: Path, capsys, key: str):
    lines = env_file.read_text().splitlines()
    env_file.write_text("\n".join(line for line in lines if not line.startswith(f"{key}=")) + "\n")
    assert run(env_file, tmp_path / "out") == 1
    assert f"lacks {key}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_example_with_its_placeholders_is_refused(tmp_path: Path, capsys):
    assert run(REPO / ".env.example", tmp_path / "out") == 1
    assert envfile.PLACEHOLDER in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
