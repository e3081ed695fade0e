#!/usr/bin/env bash
# PostgreSQL first-start script (mounted in /docker-entrypoint-initdb.d, run once on an empty
# data volume): one database and one login role per service, each role owning only its own
# database. A service can neither connect to nor read another service's data.
# Passwords come from the environment: <SERVICE>_DB_PASSWORD (registry, cases, alerts, reporting).
set -euo pipefail

services=(registry cases alerts reporting)

for service in "${services[@]}"; do
    var="${service^^}_DB_PASSWORD"
    if [[ -z "${!var:-}" ]]; then
        echo "init-databases: $var is not set" >&2
        exit 1
    fi
done

for service in "${services[@]}"; do
    var="${service^^}_DB_PASSWORD"
    # psql variables (:'password', :"role") quote the values, so a password needs no escaping here.
    psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        --set role="$service" --set password="${!var}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
    echo "init-databases: database and role '$service' created"
done
