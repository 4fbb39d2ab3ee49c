"""The dashboard on the admin index: tiles, links to filtered changelists, cheap and cached."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.dashboard import dashboard_tiles
from tests.factories.orders_db import order_in_status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_tiles_count_what_they_say():
    for status in ["paid", "paid", "approved", "shipped"]:
        order_in_status(status)
    tiles = {t["key"]: t for t in dashboard_tiles(use_cache=False)}
    assert tiles["orders_today"]["value"] == "4"
    chart = tiles["orders_today"]["chart"]
    assert dict(zip(chart["labels"], chart["data"], strict=True))["Shipped"] == 1
    assert tiles["backlog"]["value"] == "3"
    assert tiles["outbound"]["value"] == "1"
    assert "p50" in tiles["sync_lag"]["value"]


def test_every_tile_link_opens_a_filtered_changelist(admin_client):
    for status in ["paid", "on_hold", "shipped"]:
        order_in_status(status)
    for tile in dashboard_tiles(use_cache=False):
        links = [tile["link"]] if tile["link"] else []
        links += (tile["chart"] or {}).get("links", [])
        links += [link for _, _, link in tile["rows"] if link]
        for link in links:
            assert admin_client.get(link).status_code == 200, (tile["key"], link)


def test_index_renders_dashboard_with_constant_queries(admin_client):
    order_in_status("paid")
    with CaptureQueriesContext(connection) as few:
        page = admin_client.get("/admin/")
    assert page.status_code == 200
    assert b'id="dashboard"' in page.content and b"chart.min.js" in page.content
    for _ in range(5):
        order_in_status("approved")
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        admin_client.get("/admin/")
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as cached:
        admin_client.get("/admin/")
    assert len(cached) < len(many)  # served from the cache
