-- What the application role may do.
--
-- The owner role creates every table (`backoffice migrate`, run by the
-- migrate service before the api and the projector start). The application
-- role cannot create tables. It gets, by default, full use of the tables the
-- owner creates in the schema (the read models: balances, audit trail; a
-- rebuild replaces them), and `backoffice migrate --app-role` then takes
-- back UPDATE, DELETE and TRUNCATE on the log's own tables (events, chain,
-- checkpoints): there the application may only INSERT and SELECT. Triggers
-- refuse changes to those tables as well, for every role.

\if :{?app_role}
\else
  \set app_role backoffice_app
\endif
\if :{?owner_role}
\else
  \set owner_role backoffice_owner
\endif

ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA backoffice
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA backoffice
    GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";

-- The projection store stages its upserts in temporary tables.
GRANT TEMPORARY ON DATABASE :"DBNAME" TO :"app_role";
