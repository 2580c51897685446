"""gunicorn settings (read from the project root by default; command-line flags override).

Requests wait on Razorpay, so workers are threaded: throughput is worker threads / gateway
latency, and Python's CPU use (one GIL per worker) sets the worker count, about one per core.
A thread holds a database connection only between its gateway calls (settings: the pool), so
threads cost no connections: an instance uses up to WEB_CONCURRENCY x DB_POOL_SIZE, the
defaults 3 x 8 = 24, whatever GUNICORN_THREADS is.
"""

import glob
import os
import shutil
import tempfile

from payments_service.logs import gunicorn_logging_config
from payments_service.settings import LOG_FORMAT, LOG_LEVEL

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "24"))
# A worker takes no more client connections than this (gunicorn's default is 1,000), so that
# keep-alive clients spread over the workers instead of piling onto the one that accepted
# first. Past workers x this, a new connection waits until a kept-alive one closes (up to
# GUNICORN_KEEPALIVE seconds): keep it above the connections a load balancer opens per instance.
worker_connections = int(
    os.environ.get("GUNICORN_WORKER_CONNECTIONS", threads + max(threads // 2, 8))
)
# A gthread worker that stops answering the master's heartbeat for this long is restarted
# (a slow request alone does not trip it); the gateway's own timeouts end slow calls first.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM, requests in flight get this long to finish before their worker is killed.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# The heartbeat file in memory: a container's disk-backed /tmp can stall it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's advice
wsgi_app = "payments_service.wsgi:application"

# Logs in the service's format (JSON in production); the access log's fields come from these.
# Off unless asked for: the service's own line per request already says the same and more.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
logconfig_dict = gunicorn_logging_config(LOG_FORMAT, LOG_LEVEL, access_log=bool(accesslog))

# Prometheus: each worker writes its samples to files in this folder and a scrape adds them
# up, whichever worker answers it. Without one given, this gunicorn makes its own.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="payments-metrics-")

# Imported once the folder is set (the client reads it at import), and here rather than in
# `child_exit`: importing inside that signal handler can meet the module half-initialised.
from prometheus_client import multiprocess  # noqa: E402


def on_starting(server):
    """Samples of an earlier run would be added to this one's: start from an empty folder."""
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
