"""Each detector opens its alert, re-running never duplicates it, and the fix resolves it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from orders.alerts.models import OPEN_Q, Alert, AlertStatus, StuckRule
from orders.alerts.services.reconcile import order_reconcile_gap_record, order_reconciled_record
from orders.canonical import CanonicalReceiver
from orders.models import OrderEvent, OrderLine
from orders.services.ingest import order_ingest
from orders.services.transitions import order_transition
from tests.factories.orders import canonical_order, later, make_shop, make_sku
from tests.factories.orders_db import order_in_status

from .conftest import open_alerts

pytestmark = pytest.mark.django_db


def _ingest(**kw):
    make_shop(kw.pop("shop_code_make", "tb-main"))
    for sku, *_ in kw.get("lines") or [("SKU-1",)]:
        if not kw.pop("unknown", False):
            make_sku(sku)
    return order_ingest(canonical=canonical_order(**kw), source="test").order


# ------------------------------------------------------------------ stuck


def test_stuck_paid_opens_after_sla_and_is_not_duplicated(detect):
    order = order_in_status("paid")
    detect("stuck", minutes=10)
    assert open_alerts("stuck") == []
    first = detect("stuck", minutes=31)
    assert first.opened["stuck"] and len(open_alerts("stuck", order)) == 1
    again = detect("stuck", minutes=45)
    assert again.opened["stuck"] == []
    alert = open_alerts("stuck", order)[0]
    assert alert.details["status"] == "paid" and alert.details["sla_minutes"] == 30
    assert Alert.objects.filter(order=order, kind="stuck").count() == 1


def test_stuck_resolves_when_order_moves_on(detect):
    order = order_in_status("paid")
    detect("stuck", minutes=31)
    order_transition(oid=order.oid, name="approve", actor=None, source="test")
    result = detect("stuck", minutes=32)
    assert result.resolved["stuck"] == 1
    alert = Alert.objects.get(order=order, kind="stuck")
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_at and alert.resolved_by is None


def test_stuck_approved_two_hours_and_sla_editable(detect):
    order = order_in_status("approved")
    detect("stuck", minutes=119)
    assert open_alerts("stuck") == []
    detect("stuck", minutes=121)
    assert len(open_alerts("stuck", order)) == 1
    StuckRule.objects.filter(status="approved").update(max_minutes=600)
    detect("stuck", minutes=121)
    assert open_alerts("stuck") == []


def test_stuck_picking_past_promised_ship_by(detect):
    ship_by = timezone.now() + timedelta(hours=1)
    order = order_in_status("picking", promised_ship_by=ship_by)
    detect("stuck", minutes=30)
    assert open_alerts("stuck") == []
    detect("stuck", minutes=61)
    [alert] = open_alerts("stuck", order)
    assert alert.severity == "high" and alert.details["measured_from"] == "promised_ship_by"
    order_transition(oid=order.oid, name="ship", actor=None, source="test",
                     params={"carrier": "SF", "tracking_no": "SF1"})
    detect("stuck", minutes=62)
    assert open_alerts("stuck") == []


# ------------------------------------------------------------------ status mismatch


def test_status_mismatch_opens_on_channel_cancel_after_shipment_and_resolves(detect):
    order = order_in_status("shipped", channel_order_id="MM1")
    modified = timezone.now()
    order_ingest(canonical=canonical_order(channel_order_id="MM1", status="cancelled",
                                           channel_status="TRADE_CLOSED", modified=modified),
                 source="test")
    assert OrderEvent.objects.filter(order=order, type="order.status_mismatch").exists()
    detect("status_mismatch")
    detect("status_mismatch")
    [alert] = open_alerts("status_mismatch", order)
    assert alert.details == {"ours": "shipped", "channel_says": "cancelled",
                             "channel_status": "TRADE_CLOSED"}
    # The platform moves on (the buyer's refund was withdrawn): the cause is gone.
    order_ingest(canonical=canonical_order(channel_order_id="MM1", status="delivered",
                                           channel_status="TRADE_FINISHED",
                                           modified=later(modified)), source="test")
    assert detect("status_mismatch").resolved["status_mismatch"] == 1
    assert open_alerts("status_mismatch") == []


# ------------------------------------------------------------------ unknown sku


def test_unknown_sku_opens_and_resolves_when_the_line_is_mapped(detect):
    order = _ingest(lines=[("NOPE-1", 1, "10.00")], unknown=True)
    detect("unknown_sku")
    detect("unknown_sku")
    [alert] = open_alerts("unknown_sku", order)
    assert alert.details == {"merchant_codes": ["NOPE-1"]}
    sku = make_sku("NOPE-1")
    OrderLine.objects.filter(order=order).update(sku=sku)
    assert detect("unknown_sku").resolved["unknown_sku"] == 1


def test_unknown_sku_resolves_when_the_order_is_cancelled(detect):
    order = _ingest(lines=[("NOPE-2", 1, "10.00")], unknown=True)
    detect("unknown_sku")
    order_transition(oid=order.oid, name="cancel", actor=None, source="test")
    detect("unknown_sku")
    assert open_alerts("unknown_sku") == []


# ------------------------------------------------------------------ address


def _receiver(district="浦东新区", address="世纪大道 100 号", masked=False):
    return CanonicalReceiver(name="王小明", phone="13800138000", province="上海", city="上海市",
                             district=district, address=address, masked=masked)


@pytest.mark.parametrize("receiver,flag", [
    (_receiver(district=""), "missing_district"),
    (_receiver(address="邮政信箱 1024 号附近的地方"), "po_box"),
    (_receiver(address="P.O. Box 88, Pudong"), "po_box"),
    (_receiver(address="大道1"), "too_short"),
])
def test_address_suspect_opens(detect, receiver, flag):
    order = _ingest(receiver=receiver)
    detect("address_suspect")
    [alert] = open_alerts("address_suspect", order)
    assert alert.details[flag] is True


def test_address_fine_and_masked_addresses_are_not_flagged(detect):
    _ingest()
    _ingest(receiver=_receiver(address="*****", masked=True))
    detect("address_suspect")
    assert open_alerts("address_suspect") == []


def test_address_fixed_by_platform_resolves(detect):
    modified = timezone.now()
    order = _ingest(channel_order_id="AD1", receiver=_receiver(district=""), modified=modified)
    detect("address_suspect")
    assert open_alerts("address_suspect", order)
    order_ingest(canonical=canonical_order(channel_order_id="AD1", receiver=_receiver(),
                                           modified=later(modified)), source="test")
    assert detect("address_suspect").resolved["address_suspect"] == 1


# ------------------------------------------------------------------ duplicates


def test_duplicate_across_shops_opens_for_both_and_resolves_on_cancel(detect):
    make_shop("jd-main", channel="jd")
    a = _ingest(channel_order_id="D1")
    b = _ingest(shop_code="jd-main", channel_order_id="D2")
    _ingest(channel_order_id="D3", lines=[("SKU-9", 1, "5.00")])  # other lines: no match
    detect("duplicate_suspect")
    detect("duplicate_suspect")
    alerts = {al.order_id: al for al in open_alerts("duplicate_suspect")}
    assert set(alerts) == {a.pk, b.pk}
    assert alerts[a.pk].details["duplicates"] == [str(b.oid)]
    order_transition(oid=b.oid, name="cancel", actor=None, source="test")
    assert detect("duplicate_suspect").resolved["duplicate_suspect"] == 2


def test_same_shop_or_far_apart_is_not_a_duplicate(detect):
    make_shop("jd-main", channel="jd")
    _ingest(channel_order_id="S1")
    _ingest(channel_order_id="S2")
    early = _ingest(shop_code="jd-main", channel_order_id="S3")
    from orders.models import Order

    Order.objects.filter(pk=early.pk).update(paid_at=timezone.now() - timedelta(hours=3))
    Order.objects.exclude(pk=early.pk).update(paid_at=timezone.now())
    detect("duplicate_suspect")
    assert open_alerts("duplicate_suspect") == []


# ------------------------------------------------------------------ delivery failing


def test_delivery_failing_opens_on_dead_letter_and_resolves_on_retry(detect):
    from channels_adapters.subscribers.models import Delivery, Subscription
    from channels_adapters.subscribers.services.outbox import outbox_publish

    Subscription.objects.create(name="erp", url="https://erp.example.com/hook", secret="s")
    order = order_in_status("paid")
    with transaction.atomic():
        outbox_publish(type="order.paid", oid=order.oid, data={})
    Delivery.objects.filter(oid=order.oid).update(status="dead")
    detect("delivery_failing")
    detect("delivery_failing")
    [alert] = open_alerts("delivery_failing", order)
    assert alert.details == {"subscriptions": ["erp"]}
    Delivery.objects.filter(oid=order.oid).update(status="pending")
    assert detect("delivery_failing").resolved["delivery_failing"] == 1


# ------------------------------------------------------------------ invoice rejected


def _invoice_request(order, status):
    from decimal import Decimal

    from invoicing.models import InvoiceRequest, SellerEntity

    seller, _ = SellerEntity.objects.get_or_create(
        code="S1", defaults={"name": "卖家", "tax_id": "91350100M000100Y43",
                             "per_invoice_limit": Decimal("100000.00")})
    req = InvoiceRequest.objects.create(order=order, seller=seller, kind="ordinary")
    InvoiceRequest.objects.filter(pk=req.pk).update(status=status)
    return req


def test_invoice_rejected_opens_and_a_new_issued_request_resolves(detect):
    order = order_in_status("shipped")
    _invoice_request(order, "rejected")
    detect("invoice_rejected")
    detect("invoice_rejected")
    [alert] = open_alerts("invoice_rejected", order)
    assert alert.details["request"]
    _invoice_request(order, "issued")
    assert detect("invoice_rejected").resolved["invoice_rejected"] == 1


# ------------------------------------------------------------------ reconcile gap


def test_reconcile_gap_opens_and_reconciled_resolves(detect):
    order = order_in_status("approved")
    order_reconcile_gap_record(order_oid=order.oid, differences={"paid": ["99.00", "89.00"]})
    detect("reconcile_gap")
    detect("reconcile_gap")
    [alert] = open_alerts("reconcile_gap", order)
    assert alert.details["gap"] == {"differences": {"paid": ["99.00", "89.00"]}}
    order_reconciled_record(order_oid=order.oid)
    assert detect("reconcile_gap").resolved["reconcile_gap"] == 1


# ------------------------------------------------------------------ out of stock


def test_out_of_stock_opens_for_held_order_and_release_resolves(detect):
    order = order_in_status("approved")
    order_transition(oid=order.oid, name="hold", actor=None, source="test",
                     params={"reason": "out_of_stock"})
    detect("out_of_stock")
    detect("out_of_stock")
    [alert] = open_alerts("out_of_stock", order)
    assert alert.details == {"customer_level": "normal", "valued": False}
    assert alert.severity == "medium"
    order_transition(oid=order.oid, name="release", actor=None, source="test")
    assert detect("out_of_stock").resolved["out_of_stock"] == 1


# ------------------------------------------------------------------ generic


def test_one_open_alert_per_order_and_kind_is_enforced_by_the_database():
    from django.db import IntegrityError

    order = order_in_status("paid")
    now = timezone.now()
    Alert.objects.create(kind="stuck", order=order, opened_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(kind="stuck", order=order, opened_at=now)
    Alert.objects.filter(order=order).update(status="resolved", resolved_at=now)
    Alert.objects.create(kind="stuck", order=order, opened_at=now)  # a new episode may open
    assert Alert.objects.filter(OPEN_Q, order=order).count() == 1


def test_full_run_is_one_statement_per_kind(detect, django_assert_max_num_queries):
    order_in_status("paid")
    with django_assert_max_num_queries(9 + 1 + 4):  # 9 kinds, SLA rows, savepoints
        detect()


def test_scoped_run_only_touches_scoped_orders(detect):
    a = _ingest(receiver=_receiver(district=""))
    b = _ingest(receiver=_receiver(district=""))
    detect("address_suspect", scope=[a.pk])
    assert [al.order_id for al in open_alerts("address_suspect")] == [a.pk]
    with connection.cursor():
        pass
    detect("address_suspect", scope=[a.pk])
    assert [al.order_id for al in open_alerts("address_suspect")] == [a.pk]
    detect("address_suspect")
    assert {al.order_id for al in open_alerts("address_suspect")} == {a.pk, b.pk}
