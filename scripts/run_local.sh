#!/usr/bin/env bash
# `make run`: the service on its embedded defaults (SQLite, local memory) beside the bundled
# Razorpay simulator, so a newcomer can initiate and pay without a Razorpay account.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
SIM_PORT=${SIM_PORT:-9000}

# The simulator stands in for Razorpay; these values override any .env for this command.
export ENVIRONMENT=development
export RAZORPAY_API_BASE_URL="http://127.0.0.1:${SIM_PORT}"
export RAZORPAY_TEST_KEY_ID=rzp_test_L0calS1mulat0r
export RAZORPAY_TEST_SECRET_KEY=local_simulator_key_secret
export RAZORPAY_WEBHOOK_SECRET=local_simulator_webhook_secret
export GUNICORN_BIND="127.0.0.1:${PORT}"

"$BIN/python" manage.py migrate --noinput
credentials=$("$BIN/python" manage.py setup_local)

"$BIN/python" -m razorpay_simulator --host 127.0.0.1 --port "$SIM_PORT" \
  --key-id "$RAZORPAY_TEST_KEY_ID" --key-secret "$RAZORPAY_TEST_SECRET_KEY" \
  --webhook-url "http://127.0.0.1:${PORT}/webhooks/razorpay" \
  --webhook-secret "$RAZORPAY_WEBHOOK_SECRET" &
sim_pid=$!
# The background worker: chores (settle refunds, retry webhooks, reconcile, purges) and tasks.
"$BIN/python" manage.py worker &
worker_pid=$!
trap 'kill "$sim_pid" "$worker_pid" 2>/dev/null || true' EXIT INT TERM

cat <<INFO

  Payments service   http://127.0.0.1:${PORT}/      (health: /healthz, readiness: /readyz)
  Back office        http://127.0.0.1:${PORT}/admin/
$(sed 's/^/  /' <<<"$credentials")
  Razorpay simulator ${RAZORPAY_API_BASE_URL}   (checkout: /_sim/checkout/<order_id>)
  Worker             chores and their last runs: http://127.0.0.1:${PORT}/admin/backoffice/chore/

  Stop with Ctrl-C.

INFO
"$BIN/gunicorn" --workers 2 --threads 8
