-- The application's schema, owned by the owner role; nothing in public.
-- The api and projector name it in BACKOFFICE_DATABASE_URL (?schema=backoffice).

\if :{?app_role}
\else
  \set app_role backoffice_app
\endif
\if :{?owner_role}
\else
  \set owner_role backoffice_owner
\endif

REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA backoffice AUTHORIZATION :"owner_role";
GRANT USAGE ON SCHEMA backoffice TO :"app_role";
ALTER ROLE :"app_role" IN DATABASE :"DBNAME" SET search_path = backoffice;
