#!/bin/bash
# Runs ONCE, on the first start of an empty data volume (official postgres image convention;
# CI's stand-in honours it too). Creates the pipelines' database next to Airflow's metadata DB.
# Idempotent anyway, so re-running it by hand is harmless.
set -euo pipefail
: "${WAREHOUSE_DB:?WAREHOUSE_DB must be set}"
if [ "$(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '${WAREHOUSE_DB}'")" != "1" ]; then
  echo "creating database ${WAREHOUSE_DB} owned by ${POSTGRES_USER}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE \"${WAREHOUSE_DB}\" OWNER \"${POSTGRES_USER}\""
fi
