"""gunicorn settings (read from the project root by default; command-line flags override).

Requests wait on Razorpay, so workers are threaded: throughput is threads / gateway latency.
Every thread holds one database connection: workers x threads must fit max_connections.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
# Longer than the gateway's connect + read timeouts, so a slow gateway answers 504, not a kill.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
wsgi_app = "payments_service.wsgi:application"
