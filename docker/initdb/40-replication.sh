#!/bin/sh
# The role the replica profile's standby streams as (docker compose --profile replica up):
# REPLICATION and LOGIN only, allowed replication connections with a password.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v password="${BACKOFFICE_REPLICATION_PASSWORD:-backoffice-replication-dev-only}" <<'SQL'
CREATE ROLE backoffice_replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication backoffice_replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
