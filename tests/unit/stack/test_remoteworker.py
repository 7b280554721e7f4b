"""What `make remote-worker-env` hands a worker host: the main host's endpoints and the shared
secrets, nothing else, in a file only its owner reads."""
from __future__ import annotations

from airkit.stack import envfile, project, remoteworker
from airkit.stack.settings import derived_env


def _example_env(tmp_path):
    path = tmp_path / ".env"
    envfile.generate(project.env_example(), path)
    return path


def _values(tmp_path) -> dict[str, str]:
    return envfile.parse(_example_env(tmp_path))


def test_endpoints_point_at_the_main_host_published_ports(tmp_path):
    values = _values(tmp_path)
    env = remoteworker.worker_env(values, main_host="192.0.2.1", queues="remote")
    local = derived_env(values, "local")
    for key in remoteworker.REACHED_KEYS:
        # The same setting the stack's own processes get, with the host part moved.
        assert env[key] == local[key].replace(values["BIND_ADDRESS"], "192.0.2.1"), key
    assert env["AIRFLOW__CELERY__BROKER_URL"] == f"redis://:{values['REDIS_PASSWORD']}@192.0.2.1:6379/0"


def test_only_what_a_worker_needs(tmp_path):
    values = _values(tmp_path)
    env = remoteworker.worker_env(values, main_host="192.0.2.1", queues="remote,heavy", advertise_host="w1")
    expected = {*remoteworker.REACHED_KEYS, *remoteworker.COPIED_KEYS, "AIRKIT_WORKER_QUEUES",
                "AIRFLOW__CORE__HOSTNAME_CALLABLE", "AIRKIT_WORKER_ADVERTISE_HOST"}
    assert set(env) == expected
    assert (env["AIRKIT_WORKER_QUEUES"], env["AIRKIT_WORKER_ADVERTISE_HOST"]) == ("remote,heavy", "w1")
    text = "\n".join(env.values())
    for secret in ("_AIRFLOW_WWW_USER_PASSWORD", "AIRFLOW__API_AUTH__JWT_SECRET"):
        assert values[secret] not in text, secret


def test_written_for_its_owner_only(tmp_path):
    out = tmp_path / "worker.env"
    out.write_text("old\n")
    out.chmod(0o644)
    assert remoteworker.main(["env", "--env-file", str(_example_env(tmp_path)), "--main-host", "192.0.2.1",
                              "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert envfile.parse(out)["AIRKIT_WORKER_QUEUES"] == "remote"


def test_serve_runs_a_worker_on_its_queues():
    assert remoteworker.serve_argv({"AIRKIT_WORKER_QUEUES": "remote"}) == [
        "airflow", "celery", "worker", "--queues", "remote"]


def test_refuses_the_example_and_a_missing_secret(tmp_path):
    out = tmp_path / "worker.env"
    example = ["env", "--env-file", str(project.env_example()), "--main-host", "192.0.2.1", "--out", str(out)]
    assert remoteworker.main(example) == 1
    values = _values(tmp_path)
    del values["AIRFLOW__API__SECRET_KEY"]
    assert remoteworker.refusal(values) == "lacks AIRFLOW__API__SECRET_KEY"
    assert not out.exists()
