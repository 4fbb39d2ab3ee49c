"""Server settings for bench/ingest.py: the test settings with persistent DB connections
and a real Redis broker.

Production gunicorn deployments keep database connections open between requests
(``CONN_MAX_AGE``); the benchmark measures that, not a PostgreSQL fork per request.
Messages go to Redis (the bench gives ``REDIS_URL`` a database of its own), as in
production: the ``documents`` worker the bench starts drains what ``Prefer:
respond-async`` accepted.
"""

from config.settings.test import *  # noqa: F401,F403
from config.settings.test import DATABASES, DRAMATIQ_BROKER, DRAMATIQ_REDIS_URL

DATABASES["default"]["CONN_MAX_AGE"] = 300
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DRAMATIQ_BROKER = {**DRAMATIQ_BROKER, "BROKER": "dramatiq.brokers.redis.RedisBroker",
                   "OPTIONS": {"url": DRAMATIQ_REDIS_URL}}
