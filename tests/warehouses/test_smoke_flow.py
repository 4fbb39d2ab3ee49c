import pytest

from tests.factories.warehouses import level, make_order, make_warehouse, set_stock
from warehouses.services.allocation import order_allocate, order_unallocate

pytestmark = pytest.mark.django_db


def test_ordinary_paid_order_is_approved_scored_and_allocates():
    sh = make_warehouse("SH")
    set_stock(sh, "SKU-1", 5)
    order = make_order()
    assert order.status == "approved"
    assert order.priority_score == sum(i["points"] for i in order.priority_breakdown)
    order = order_allocate(order_oid=order.oid)
    assert order.status == "allocated"
    assert order.warehouse == sh
    assert order.routing["rule"]["kind"] in {"single", "fewest_packages", "nearest"}
    assert level(sh, "SKU-1").reserved == 1
    order_unallocate(order_oid=order.oid)
    assert level(sh, "SKU-1").reserved == 0
