"""The service's own settings plus the benchmark's reference app and its two URLs.

Everything the product does is configured exactly as in production (this module only adds);
`bench/run.py` sets ENVIRONMENT=production and the production secrets.
"""

from payments_service.settings import *  # noqa: F403
from payments_service.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.reference"]
ROOT_URLCONF = "bench.urls"
