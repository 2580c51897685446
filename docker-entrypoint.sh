#!/bin/sh
# Migrations run only when asked (MIGRATE_ON_START=true), e.g. from a one-off release task,
# so that several replicas starting together do not race on the schema.
set -e
if [ "${MIGRATE_ON_START:-false}" = "true" ]; then
  python manage.py migrate --noinput
fi
# `docker run IMAGE worker`: the background worker (tasks and chores) instead of the web server.
if [ "$1" = "worker" ]; then
  exec python manage.py worker
fi
exec "$@"
