#!/usr/bin/env bash
# Installs what `make bench` needs beyond the project's requirements: wrk and pgbench (Debian
# packages) and py-spy (into .venv). Idempotent; nothing installed by hand is assumed.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "bench/setup.sh: need root (or sudo) to install $*" >&2; exit 1
  fi
}

missing=()
command -v wrk >/dev/null || missing+=(wrk)
# pgbench ships with the PostgreSQL server package on Debian (postgresql-NN), not the client.
command -v pgbench >/dev/null || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v redis-cli >/dev/null || missing+=(redis-tools)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench/setup.sh: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

stamp=.venv/.bench-installed
if [ ! -f "$stamp" ] || [ bench/requirements.txt -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
  touch "$stamp"
fi
