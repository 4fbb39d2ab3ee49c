import os

from .base import *  # noqa: F401,F403
from .base import DATABASES, DRAMATIQ_BROKER

DEBUG = False
# Parallel developers/CI jobs on one server keep their own test database.
DATABASES["default"]["TEST"] = {
    "NAME": "test_liuzhuan" + os.environ.get("LIUZHUAN_TEST_DB_SUFFIX", ""),
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGE_CODE = "en"
# Sandbox platforms, tax gateway and receivers are mounted in tests.
LIUZHUAN_SANDBOX = True

# Unit tests use dramatiq's StubBroker; integration tests build a real Redis broker themselves.
DRAMATIQ_BROKER = {
    **DRAMATIQ_BROKER,
    "BROKER": "dramatiq.brokers.stub.StubBroker",
    "OPTIONS": {},
}
