"""Every pre-check code: one case that triggers it, one that does not."""

from datetime import date
from decimal import Decimal

import pytest

from invoicing.services.items import Item
from invoicing.services.precheck import precheck
from tests.factories.invoicing import (
    EXEMPT,
    GOODS_13,
    NON_TAXABLE,
    VALID_USCC,
    enterprise_buyer,
    personal_buyer,
)

TODAY = date(2026, 11, 25)


def item(code=GOODS_13, rate="0.13", exemption="none", title="商品A", known=True,
         valid_to=None, valid_from=None, index=1):
    return Item(index=index, title=title, quantity=Decimal(1), unit_price=Decimal("113.00"),
                total=Decimal("113.00"), tax_code=code, rate=Decimal(rate), exemption=exemption,
                code_known=known, code_valid_to=valid_to, code_valid_from=valid_from, line_no=index)


def codes(buyer=None, kind="ordinary", items=None, remarks=("",)):
    result = precheck(buyer=buyer or enterprise_buyer(), kind=kind,
                      items=items if items is not None else [item()], remarks=list(remarks),
                      today=TODAY)
    return {p.code for p in result.problems}, result


def test_clean_request_has_no_problems():
    found, result = codes()
    assert found == set() and result.ok
    found, _ = codes(buyer=enterprise_buyer(), kind="special")
    assert found == set()
    found, _ = codes(buyer=personal_buyer())
    assert found == set()


CASES = [
    # code, triggering kwargs, near-miss kwargs that must NOT trigger it
    ("buyer_tax_id_missing",
     {"buyer": enterprise_buyer(tax_id=""), "kind": "special"},
     {"buyer": personal_buyer(tax_id="")}),
    ("buyer_tax_id_invalid",
     {"buyer": enterprise_buyer(tax_id=VALID_USCC[:-1] + "4")},
     {"buyer": enterprise_buyer(tax_id=" " + VALID_USCC.lower() + " ")}),
    ("buyer_name_invalid",
     {"buyer": enterprise_buyer(name="上海流转😀贸易有限公司")},
     {"buyer": enterprise_buyer(name="  上海流转 (贸易) 有限公司 ")}),
    ("buyer_name_too_long",
     {"buyer": enterprise_buyer(name="上" * 97 + "有限公司")},
     {"buyer": enterprise_buyer(name="上" * 96 + "有限公司")}),
    ("special_invoice_profile_incomplete",
     {"buyer": enterprise_buyer(bank=""), "kind": "special"},
     {"buyer": enterprise_buyer(bank=""), "kind": "ordinary"}),
    ("tax_code_missing",
     {"items": [item(code="")]},
     {"items": [item()]}),
    ("tax_code_invalid",
     {"items": [item(valid_to=date(2025, 1, 1))]},
     {"items": [item(valid_to=date(2027, 1, 1))]}),
    ("exempt_mismatch",
     {"items": [item(code=EXEMPT, rate="0.13", exemption="exempt")]},
     {"items": [item(code=EXEMPT, rate="0", exemption="exempt")]}),
    ("exempt_on_special_invoice",
     {"items": [item(code=EXEMPT, rate="0", exemption="exempt")], "kind": "special"},
     {"items": [item(code=NON_TAXABLE, rate="0", exemption="non_taxable")], "kind": "special"}),
    ("remark_too_long",
     {"remarks": ["备" * 201]},
     {"remarks": ["备" * 200]}),
    ("personal_title_suspect",
     {"buyer": personal_buyer(name="上海流转贸易有限公司")},
     {"buyer": personal_buyer(name="王小明")}),
]


@pytest.mark.parametrize("code,bad,good", CASES, ids=[c[0] for c in CASES])
def test_each_code_triggers_and_does_not(code, bad, good):
    found, _ = codes(**bad)
    assert code in found
    found, _ = codes(**good)
    assert code not in found


def test_more_triggers():
    assert "tax_code_invalid" in codes(items=[item(code="10905110300")])[0]
    assert "tax_code_invalid" in codes(items=[item(known=False)])[0]
    assert "exempt_mismatch" in codes(items=[item(rate="0")])[0]  # taxable code, zero rate
    assert "exempt_mismatch" in codes(items=[item(code=NON_TAXABLE, rate="0", exemption="exempt")])[0]
    assert "personal_title_suspect" in codes(buyer=enterprise_buyer(tax_id=""))[0]
    assert "personal_title_suspect" in codes(buyer=enterprise_buyer(name="王小明"))[0]
    assert "buyer_name_invalid" in codes(buyer=enterprise_buyer(name="12345678-()"))[0]
    assert "buyer_name_invalid" in codes(buyer=enterprise_buyer(name="上海\x07流转有限公司"))[0]
    assert "special_invoice_profile_incomplete" in codes(buyer=personal_buyer(), kind="special")[0]
    assert "buyer_field_too_long" in codes(buyer=enterprise_buyer(address="路" * 95))[0]


def test_safe_fixes_applied_and_reported():
    buyer = enterprise_buyer(name=" 上海流转(贸易)  有限公司\t", tax_id=f"  {VALID_USCC.lower()} ")
    found, result = codes(buyer=buyer)
    assert found == set()
    assert result.buyer["name"] == "上海流转（贸易）有限公司"
    assert result.buyer["tax_id"] == VALID_USCC
    fixed = {(f["field"], f["fix"]) for f in result.fixes}
    assert {("name", "whitespace"), ("name", "brackets"), ("tax_id", "upper_trim")} <= fixed


def test_unsafe_fixes_refused():
    # A space inside the id, or an emoji in the name, is not silently removed.
    found, result = codes(buyer=enterprise_buyer(tax_id=VALID_USCC[:9] + " " + VALID_USCC[9:]))
    assert "buyer_tax_id_invalid" in found
    assert result.buyer["tax_id"] == VALID_USCC[:9] + " " + VALID_USCC[9:]
    found, result = codes(buyer=enterprise_buyer(name="流转贸易有限公司🚀"))
    assert "buyer_name_invalid" in found and "🚀" in result.buyer["name"]


def test_goods_names_cleaned_and_cut():
    found, result = codes(items=[item(title="超值🔥" + "好" * 100)])
    assert found == set()
    assert len(result.items[0].title) == 90 and "🔥" not in result.items[0].title
