import pytest

from orders.services.ingest import order_ingest
from tests.factories.orders import canonical_order, make_shop, make_sku

pytestmark = pytest.mark.django_db


def test_ingest_creates_order_with_events():
    make_shop()
    make_sku()
    result = order_ingest(canonical=canonical_order(), source="test")
    assert result.outcome == "created"
    assert result.order.status == "paid"
    assert [e.type for e in result.order.events.order_by("id")] == ["order.created", "order.paid"]
