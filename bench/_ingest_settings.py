"""Server settings for bench/ingest.py: the test settings with persistent DB connections.

Production gunicorn deployments keep database connections open between requests
(``CONN_MAX_AGE``); the benchmark measures that, not a PostgreSQL fork per request.
"""

from config.settings.test import *  # noqa: F401,F403
from config.settings.test import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 300
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
