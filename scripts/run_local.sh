#!/usr/bin/env bash
# `make run`: the service on its embedded defaults (SQLite, local memory) beside the bundled
# Razorpay simulator, so a newcomer can initiate and pay without a Razorpay account.
#
# Both remember across restarts: the database (var/db.sqlite3, or an explicit DATABASE_URL) and
# the simulator's state file (SIM_STATE_FILE, default var/simulator-state.json). `make reset`
# deletes both. PORT and SIM_PORT move the two ports.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
SIM_PORT=${SIM_PORT:-9000}
SIM_STATE_FILE=${SIM_STATE_FILE:-var/simulator-state.json}

# The ports first, before anything changes: a second `make run` beside a running one must fail
# here, not after migrating and rotating the demo app's key (which would break the first one's).
"$BIN/python" - "$PORT" "$SIM_PORT" <<'PY'
import errno, socket, sys

ports = {"PORT": (sys.argv[1], "the payments service"), "SIM_PORT": (sys.argv[2], "the Razorpay simulator")}
problems = []
for variable, (value, what) in ports.items():
    if not value.isdigit() or not 0 < int(value) < 65536:
        problems.append(f"{variable}={value!r} is not a port number (1-65535).")
        continue
    with socket.socket() as probe:
        # As gunicorn and the simulator bind: SO_REUSEADDR, so only a live listener counts.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", int(value)))
        except OSError as error:
            reason = "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
            free = int(value) + 1
            problems.append(
                f"port {value} ({what}, {variable}) {reason}, perhaps by another `make run`.\n"
                f"    Stop that, or move this one: make run {variable}={free}"
            )
if sys.argv[1] == sys.argv[2]:
    problems.append(f"PORT and SIM_PORT are both {sys.argv[1]}: give them different ports.")
if problems:
    print("make run: not started, nothing was changed.", *problems, sep="\n  ", file=sys.stderr)
    sys.exit(1)
PY

# The simulator stands in for Razorpay; these values override any .env for this command.
export ENVIRONMENT=development
export RAZORPAY_API_BASE_URL="http://127.0.0.1:${SIM_PORT}"
export RAZORPAY_TEST_KEY_ID=rzp_test_L0calS1mulat0r
export RAZORPAY_TEST_SECRET_KEY=local_simulator_key_secret
export RAZORPAY_WEBHOOK_SECRET=local_simulator_webhook_secret
export GUNICORN_BIND="127.0.0.1:${PORT}"
SERVICE_URL="http://127.0.0.1:${PORT}"
DEMO_SHOP_URL="${SERVICE_URL}/demo/shop"

sim_pid="" worker_pid=""
# On the way out, stop the simulator and the worker and wait for them: make run returns only
# once nothing of it is left (the worker may be finishing a chore; the simulator saves its
# state), so a new make run finds its ports free.
trap 'kill $sim_pid $worker_pid 2>/dev/null || true; wait' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p var "$(dirname "$SIM_STATE_FILE")"
"$BIN/python" manage.py migrate --noinput

# The simulator binds its port before the demo app's key changes: if it cannot, nothing did.
"$BIN/python" -m razorpay_simulator --host 127.0.0.1 --port "$SIM_PORT" \
  --key-id "$RAZORPAY_TEST_KEY_ID" --key-secret "$RAZORPAY_TEST_SECRET_KEY" \
  --webhook-url "${SERVICE_URL}/webhooks/razorpay" \
  --webhook-secret "$RAZORPAY_WEBHOOK_SECRET" --state-file "$SIM_STATE_FILE" &
sim_pid=$!
"$BIN/python" - "$RAZORPAY_API_BASE_URL/_sim/health" "$sim_pid" <<'PY'
import os, sys, time, urllib.request

url, pid = sys.argv[1], int(sys.argv[2])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    try:
        with opener.open(url, timeout=1):
            sys.exit(0)
    except OSError:
        pass
    try:  # gone, or a zombie not yet reaped: it exited (e.g. its port was taken after all)
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rpartition(")")[2].split()[0] == "Z":
                break
    except ProcessLookupError:
        break
    except OSError:
        pass  # no /proc (macOS): os.kill alone tells
    time.sleep(0.1)
print(f"make run: the Razorpay simulator did not start on {url} (see above).", file=sys.stderr)
sys.exit(1)
PY

credentials=$("$BIN/python" manage.py setup_local --return-url "$DEMO_SHOP_URL")
# The demo app's webhook endpoint: the service's own development receiver (answers 204), so a
# payment shows its events delivered in the back office.
"$BIN/python" manage.py webhook_endpoint add demo "${SERVICE_URL}/_dev/webhook-receiver" \
    --if-missing >/dev/null 2>&1 || echo "make run: the demo app got no webhook endpoint" >&2

# The background worker: chores (settle refunds, retry webhooks, reconcile, purges) and tasks.
"$BIN/python" manage.py worker &
worker_pid=$!

cat <<INFO

  Payments service   ${SERVICE_URL}/      (API docs: /api/docs/, health: /healthz)
  Back office        ${SERVICE_URL}/admin/
$(sed 's/^/  /' <<<"$credentials")
  Demo shop          ${DEMO_SHOP_URL}   (the demo app's return URL: buy, pay, come back)
  Razorpay simulator ${RAZORPAY_API_BASE_URL}   (checkout: /_sim/checkout/<order_id>)
  Worker             chores and their last runs: ${SERVICE_URL}/admin/backoffice/chore/
  Event deliveries   ${SERVICE_URL}/admin/notifications/delivery/   (the demo app's endpoint)
  Remembered         the database and ${SIM_STATE_FILE}; \`make reset\` forgets both

  Stop with Ctrl-C.

INFO
"$BIN/gunicorn" --workers 2 --threads 8
