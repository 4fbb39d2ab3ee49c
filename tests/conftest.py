from __future__ import annotations

import pytest
from rest_framework.test import APIClient


def pytest_collection_modifyitems(config, items):
    """Every transactional test starts from the migrated data (serialized rollback).

    A transactional test empties every table when it ends, data migrations' rows included
    (groups and their permissions, default rules and policies). With serialized rollback
    for all of them — not for some — each one restores the same migrated state, and the
    content-type ids never diverge between tests.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        transactional = (marker is not None and marker.kwargs.get("transaction")) or (
            "transactional_db" in fixtures or "live_server" in fixtures)
        if not transactional:
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        kwargs.update(transaction=True, serialized_rollback=True)
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """No autovacuum on the test database's tables: their statistics stay "never analyzed".

    Tests insert in transactions they roll back.  Autovacuum then analyzes a table whose
    pages hold only dead rows and records "0 rows on N pages"; from then on the planner
    reads any size of that table as empty — and a test that fills it inside its
    transaction gets plans that scan whole indexes per row (seen: the scoring statement
    at 0.3–0.7 s per order, a 50-s test running past 10 minutes).  Never analyzed, the
    planner estimates from the table's real size."""
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT format('ALTER TABLE %I.%I SET (autovacuum_enabled = false)', "
                       "schemaname, tablename) FROM pg_tables WHERE schemaname = 'public'")
        for (statement,) in cursor.fetchall():
            cursor.execute(statement)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def admin_api(api_client, admin_user):
    api_client.force_authenticate(admin_user)
    return api_client


@pytest.fixture
def group_user(django_user_model):
    """Make a staff user in one of the groups: ``group_user("warehouse")``."""
    from django.contrib.auth.models import Group

    def make(group: str, username: str | None = None):
        user = django_user_model.objects.create_user(
            username or f"{group}-user", password="pw", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Process-level caches (the scoring policy read for new orders) must not carry one
    test's rolled-back rows into the next."""
    from channels_adapters.services.inbound_queue import KICK as DOCUMENTS_KICK
    from core.coalesce import coalesced_started
    from warehouses.services.approval_batch import KICK
    from warehouses.services.scoring import _forget_policy

    _forget_policy()
    for kick in (KICK, DOCUMENTS_KICK):
        coalesced_started(kick)  # no "run queued" flag left by an earlier test
    yield
    _forget_policy()
