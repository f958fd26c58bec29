-- Roles of the back office database.
--
-- The postgres image runs the files in /docker-entrypoint-initdb.d once, in
-- name order, on the first start of an empty data directory: as the
-- superuser, connected to the database named by POSTGRES_DB (created by the
-- image), with psql -v ON_ERROR_STOP=1. psql 15 or later (\getenv).
--
--   backoffice_owner  LOGIN: owns the schema and the tables; `backoffice migrate`
--                     and maintenance commands (rebuild, verify) connect as it;
--                     its password comes from BACKOFFICE_OWNER_PASSWORD.
--   backoffice_app    LOGIN: what the api and the projector connect as; its
--                     password comes from BACKOFFICE_APP_PASSWORD. On the log's
--                     tables (events, chain, checkpoints) it may only INSERT
--                     and SELECT.
--
-- Role names can be overridden with psql variables (-v app_role=...,
-- -v owner_role=...); tests/test_deployment.py does, so that it can apply
-- these files to a throwaway database on a shared server.

\getenv app_password BACKOFFICE_APP_PASSWORD
\if :{?app_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'set BACKOFFICE_APP_PASSWORD for the postgres service'; END $$;
\endif
\getenv owner_password BACKOFFICE_OWNER_PASSWORD
\if :{?owner_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'set BACKOFFICE_OWNER_PASSWORD for the postgres service'; END $$;
\endif
\if :{?app_role}
\else
  \set app_role backoffice_app
\endif
\if :{?owner_role}
\else
  \set owner_role backoffice_owner
\endif

CREATE ROLE :"owner_role" LOGIN PASSWORD :'owner_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    CONNECTION LIMIT 20;
CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT
    CONNECTION LIMIT 100;

-- Only named roles reach this database.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO :"owner_role", :"app_role";
