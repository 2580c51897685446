"""`make bench`: the service as in production against its ceilings, in one run, on this machine.

Boots a fresh PostgreSQL database (created, migrated, dropped at the end), Redis database 5,
the Razorpay simulator and the service with the production settings (plus the reference app of
bench/settings.py) under gunicorn, granian or each in turn (`--server`), then:

1. pgbench: the reference view's two inserts (database ceiling), before the service holds its
   connections;
2. with the simulator answering at once, at each client count: the bare Django view and the
   reference DRF view (framework and framework + database ceilings), then each endpoint alone:
   initiate, confirm, webhook, refund, get, list;
3. with `--latency-ms` (150) added to every gateway call: the endpoints that call the gateway;
4. a mixed pass (every endpoint at once, connections shared out) with both gateways;
5. a py-spy profile of the workers under initiate and webhook load;
6. other workers x threads (`--tune`);

steps 2 to 6 once per server, and writes bench/RESULTS.md (figures as ratios to the ceilings
measured in the same run; the servers side by side when there are several). Data that a pass
consumes (paid orders to confirm, signed webhook bodies, captured payments to refund) is
prepared through the service and the simulator before that pass, so a timed pass only sends
requests. Everything listens on 127.0.0.1 only; every wait has a deadline.

The parts, one role each: bench/stack.py (processes), bench/data.py (what passes consume),
bench/load.py (wrk, pgbench, the CPU meter), bench/profiling.py (py-spy), bench/phases.py (the
run), bench/report.py (RESULTS.md), bench/cli.py (options).
"""

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on the path; the parts import as `bench.*` from the
# repository's root instead (as Django imports bench.settings), and nothing in bench/ shadows a
# module of the same name elsewhere.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
