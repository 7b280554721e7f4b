"""Generated secrets and the admin account survive being put on a command line."""

from __future__ import annotations

import envfile
import localstack


def test_generated_secrets_never_start_with_a_dash() -> None:
    # token_urlsafe starts with "-" once in 64 draws; 5,000 draws would all but surely show one.
    drawn = [envfile.new_secret("REDIS_PASSWORD") for _ in range(5000)]
    assert not [s for s in drawn if s.startswith("-")]
    assert len(set(drawn)) == len(drawn)


def test_admin_create_args_parse_with_airflows_cli_even_for_a_dash_password() -> None:
    from airflow.cli.cli_parser import get_parser

    values = {"_AIRFLOW_WWW_USER_USERNAME": "admin", "_AIRFLOW_WWW_USER_PASSWORD": "-Xy_z-123"}
    args = get_parser().parse_args(localstack.admin_create_args(values))
    assert (args.username, args.password, args.role) == ("admin", "-Xy_z-123", "Admin")
