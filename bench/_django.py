"""Shared set-up for benchmark scripts: Django on a benchmark database of its own.

The database is created (and migrated) through Django's test-database machinery with the
suffix given, so a benchmark never touches the development data.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(suffix: str, *, settings: str = "config.settings.test"):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    os.environ["LIUZHUAN_TEST_DB_SUFFIX"] = suffix
    import django

    django.setup()
    from django.test.utils import setup_databases, setup_test_environment

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False, keepdb=True)
    return old


def teardown(old) -> None:
    from django.test.utils import teardown_databases, teardown_test_environment

    teardown_databases(old, verbosity=0)
    teardown_test_environment()


def timed(fn, *, repeat: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def result(**figures) -> None:
    parts = []
    for key, value in figures.items():
        parts.append(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
    print("RESULT " + " ".join(parts), flush=True)
