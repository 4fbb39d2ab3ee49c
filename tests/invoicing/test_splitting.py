from decimal import Decimal

import pytest

from invoicing.services.items import Item, split_tax
from invoicing.services.requests import invoice_request_create
from invoicing.services.splitting import link_remarks, plan_split
from tests.factories.invoicing import enterprise_buyer, make_catalogue, make_order, make_seller


def items_of(totals, rate="0.13"):
    return [Item(index=i, title=f"商品{i}", quantity=Decimal(1), unit_price=Decimal(t),
                 total=Decimal(t), tax_code="1090511030000000000", rate=Decimal(rate),
                 exemption="none", code_known=True, line_no=i)
            for i, t in enumerate(totals, 1)]


def test_tax_is_amount_times_rate_half_up_and_line_reconciles():
    for cents in range(1, 5000, 7):
        total = Decimal(cents) / 100
        amount, tax = split_tax(total, Decimal("0.13"))
        assert amount + tax == total
        assert abs(tax - amount * Decimal("0.13")) <= Decimal("0.01")


def test_250k_order_with_99999_99_limit_gives_three_linked_invoices():
    plan = plan_split(items_of(["250000.00"]), limit=Decimal("99999.99"), max_lines=2000)
    remarks = link_remarks(plan, order_ref="T123")
    assert len(plan) == 3
    assert sum((inv.total for inv in plan), Decimal("0")) == Decimal("250000.00")
    assert all(inv.amount <= Decimal("99999.99") for inv in plan)
    for i, remark in enumerate(remarks, 1):
        assert f"{i}/3" in remark and "T123" in remark and "1/3, 2/3, 3/3" in remark


def test_lines_are_not_cut_unless_one_is_over_the_limit():
    plan = plan_split(items_of(["60000.00", "60000.00", "60000.00"]),
                      limit=Decimal("99999.99"), max_lines=2000)
    pieces = [line.piece for inv in plan for line in inv.lines]
    assert pieces == ["", "", ""]
    # Σ pre-tax 159,292.05 would fit in 2 if a line were cut; whole lines need 3.
    assert len(plan) == 3
    plan = plan_split(items_of(["60000.00", "60000.00", "50000.00", "40000.00"]),
                      limit=Decimal("99999.99"), max_lines=2000)
    assert len(plan) == 2 and all(line.piece == "" for inv in plan for line in inv.lines)


def test_fewest_invoices_by_amount():
    plan = plan_split(items_of(["50000.00"] * 4), limit=Decimal("99999.99"), max_lines=2000)
    assert len(plan) == 2  # 44,247.79 pre-tax each → two per invoice


def test_2100_lines_on_2000_line_kind_gives_two():
    plan = plan_split(items_of(["1.00"] * 2100), limit=Decimal("99999.99"), max_lines=2000)
    assert [len(inv.lines) for inv in plan] == [2000, 100]
    assert sum((inv.total for inv in plan), Decimal("0")) == Decimal("2100.00")


@pytest.mark.django_db
def test_250k_order_end_to_end_plan():
    make_catalogue()
    make_seller("99999.99")
    order = make_order([(10, "25000.00")])
    request = invoice_request_create(order_oid=order.oid, kind="special", buyer=enterprise_buyer())
    assert request.status == "prechecked", request.precheck
    totals = [Decimal(inv["total"]) for inv in request.plan]
    assert len(totals) == 3 and sum(totals) == order.paid_amount == Decimal("250000.00")
    taxes = sum(Decimal(inv["tax"]) for inv in request.plan)
    amounts = sum(Decimal(inv["amount"]) for inv in request.plan)
    assert amounts + taxes == Decimal("250000.00")
    assert all(f"{i}/3" in inv["remark"] for i, inv in enumerate(request.plan, 1))


@pytest.mark.django_db
def test_2100_line_order_end_to_end():
    make_catalogue()
    make_seller("9999999.99", max_lines=2000)
    order = make_order([(1, "3.30")] * 2100)
    request = invoice_request_create(order_oid=order.oid, kind="ordinary",
                                     buyer=enterprise_buyer())
    assert len(request.plan) == 2
    assert sum(Decimal(inv["total"]) for inv in request.plan) == order.paid_amount


@pytest.mark.django_db
def test_discount_and_shipping_reconcile_to_paid():
    cat = make_catalogue()
    make_seller("99999.99", shipping_tax_code=cat["transport"])
    order = make_order([(3, "33.33"), (1, "0.99"), (7, "12.01")], discount="10.07",
                       shipping="8.00")
    request = invoice_request_create(order_oid=order.oid, kind="ordinary",
                                     buyer=enterprise_buyer())
    assert request.status == "prechecked", request.precheck
    (inv,) = request.plan
    assert Decimal(inv["total"]) == order.paid_amount
    for line in inv["lines"]:
        amount, tax, rate = Decimal(line["amount"]), Decimal(line["tax"]), Decimal(line["rate"])
        assert amount + tax == Decimal(line["total"])
        assert abs(tax - amount * rate) <= Decimal("0.01")
