-- What the application role may do. FOR NOW: the application creates its own
-- tables on first start (the eventsourcing library's CREATE TABLE IF NOT
-- EXISTS), so it may create in its schema, and it owns what it creates.
--
-- To restrict it later, replace this file (and only this file): create the
-- tables as the owner role (a migration step), revoke CREATE, and grant the
-- application no more than it needs on each table, e.g.
--   GRANT SELECT, INSERT ON backoffice.<events table> TO backoffice_app;
-- and run the application with the library's CREATE_TABLE=false. Mind that
-- the library locks the events table IN EXCLUSIVE MODE on every insert, and
-- PostgreSQL allows that lock only with UPDATE, DELETE or TRUNCATE privilege
-- (or ownership): INSERT and SELECT alone are not enough for it.

\if :{?app_role}
\else
  \set app_role backoffice_app
\endif

GRANT CREATE ON SCHEMA backoffice TO :"app_role";

-- The projection store stages its upserts in temporary tables.
GRANT TEMPORARY ON DATABASE :"DBNAME" TO :"app_role";
