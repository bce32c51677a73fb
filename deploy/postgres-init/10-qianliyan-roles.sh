#!/bin/sh
# Login roles for the services, so that none of them connects as the owner
# (the postgres image's POSTGRES_USER, a superuser). The postgres image runs
# this once, when it creates the cluster (/docker-entrypoint-initdb.d); for a
# cluster that exists already, run it by hand:
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-qianliyan-roles.sh
#
# Creates the three group roles of migration 5 (NOLOGIN; the migration keeps
# roles that exist and grants them their privileges) and, for each password
# set, a login role in one of them:
#   qly_worker  in qianliyan_worker   (`qianliyan run`, the nightly replay) — QIANLIYAN_WORKER_PASSWORD
#   qly_queue   in qianliyan_web      (`qianliyan serve`)                   — QIANLIYAN_QUEUE_PASSWORD
#   qly_rules   in qianliyan_rules    (`qianliyan rules deploy`)            — QIANLIYAN_RULES_PASSWORD
# A role that exists gets the password again (run it after changing one).
# docs/security.md §4 says what each group may and may not do.
set -eu

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
     -v worker_password="${QIANLIYAN_WORKER_PASSWORD:-}" \
     -v queue_password="${QIANLIYAN_QUEUE_PASSWORD:-}" \
     -v rules_password="${QIANLIYAN_RULES_PASSWORD:-}" <<'SQL'
SELECT format('CREATE ROLE %I NOLOGIN', g)
  FROM unnest(ARRAY['qianliyan_worker', 'qianliyan_web', 'qianliyan_rules']) AS g
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = g) \gexec

SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login)
            THEN format('ALTER ROLE %I LOGIN PASSWORD %L', login, password)
            ELSE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', login, password, grp) END
  FROM (VALUES ('qly_worker', :'worker_password', 'qianliyan_worker'),
               ('qly_queue',  :'queue_password',  'qianliyan_web'),
               ('qly_rules',  :'rules_password',  'qianliyan_rules')) AS r(login, password, grp)
 WHERE password <> '' \gexec

SELECT format('GRANT %I TO %I', grp, login)
  FROM (VALUES ('qly_worker', 'qianliyan_worker'), ('qly_queue', 'qianliyan_web'), ('qly_rules', 'qianliyan_rules')) AS r(login, grp)
 WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) \gexec
SQL
echo "qianliyan roles: done"
