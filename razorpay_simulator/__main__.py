"""`python -m razorpay_simulator`: run the simulator until Ctrl-C or SIGTERM.

Every option can also come from a RAZORPAY_SIM_* environment variable; the command line wins.
"""

import argparse
import logging
import os
import signal
import threading

from .errors import ApiError
from .server import DEFAULT_KEY_ID, DEFAULT_KEY_SECRET, Simulator


def _parse_args(argv=None):
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m razorpay_simulator", description="A stateful Razorpay API simulator."
    )
    parser.add_argument("--host", default=env("RAZORPAY_SIM_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=env("RAZORPAY_SIM_PORT", "9000"))
    parser.add_argument("--key-id", default=env("RAZORPAY_SIM_KEY_ID", DEFAULT_KEY_ID))
    parser.add_argument("--key-secret", default=env("RAZORPAY_SIM_KEY_SECRET", DEFAULT_KEY_SECRET))
    parser.add_argument("--webhook-url", default=env("RAZORPAY_SIM_WEBHOOK_URL"))
    parser.add_argument("--webhook-secret", default=env("RAZORPAY_SIM_WEBHOOK_SECRET"))
    parser.add_argument(
        "--refund-delay",
        type=float,
        default=env("RAZORPAY_SIM_REFUND_DELAY", "0.5"),
        help="seconds before a pending refund settles (default 0.5)",
    )
    parser.add_argument(
        "--state-file",
        default=env("RAZORPAY_SIM_STATE_FILE"),
        help="keep orders, payments and refunds in this JSON file, written on every change, "
        "so a restart remembers them (default: memory only)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = _parse_args(argv)
    # Ctrl-C and SIGTERM both end the wait below, wherever they arrive, for a clean stop.
    stop = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stop.set())
    logging.basicConfig(level=logging.INFO, format="razorpay-sim %(asctime)s %(message)s")
    try:
        sim = Simulator(
            key_id=args.key_id,
            key_secret=args.key_secret,
            webhook_url=args.webhook_url,
            webhook_secret=args.webhook_secret,
            refund_delay=args.refund_delay,
            host=args.host,
            port=args.port,
            state_file=args.state_file or None,
        ).start()
    # A bad option value, the port taken, or a state file that cannot be read.
    except (ApiError, OSError, ValueError) as error:
        raise SystemExit(f"razorpay_simulator: {error}") from None
    kept = f", state in {args.state_file}" if args.state_file else ", state in memory"
    print(f"Razorpay simulator listening on {sim.url} (key id {args.key_id}{kept})", flush=True)
    stop.wait()
    sim.stop()


if __name__ == "__main__":
    main()
