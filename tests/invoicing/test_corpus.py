"""≥ 500 generated requests with realistic defects.

Every request that passes the pre-check must be accepted by the sandbox gateway on
the first try (100 %).  The sandbox validates with its own rules
(``invoicing/sandbox/rules.py``), never with the pre-check.  Prints the catch rate
per defect: caught = reported as a problem, or repaired by a safe fix.
"""

import random
from collections import defaultdict
from datetime import date

import pytest

from invoicing.models import GatewayAttempt
from invoicing.services.requests import invoice_request_create, invoice_request_submit
from invoicing.services.sending import invoice_send_now
from tests.factories.invoicing import (
    EXEMPT,
    GOODS_13,
    NON_TAXABLE,
    SERVICE_6,
    TRANSPORT_9,
    enterprise_buyer,
    make_catalogue,
    make_order,
    make_seller,
    make_tax_code,
    make_uscc,
    personal_buyer,
)

pytestmark = pytest.mark.django_db
N = 520
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
COMPANIES = ["上海流转贸易", "杭州云仓科技", "深圳前海数智", "北京京北商贸", "成都天府食品",
             "广州南沙物流", "苏州园区精密", "武汉光谷信息"]
SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司", "(集团)有限公司"]
PEOPLE = ["王小明", "李雷", "韩梅梅", "张伟", "欧阳娜娜"]
BAD_EXEMPT_RATE = "1090511030000000011"    # exempt with 13 %
BAD_TAXABLE_ZERO = "1090511030000000012"   # taxable with 0 %
BAD_NON_TAXABLE = "6010000000000000013"    # 6… code marked taxable
EXPIRED = "1090511030000000014"
MALFORMED = "109051103000000015"           # 18 digits in the catalogue


def random_uscc(rng):
    body = "".join(rng.choice("0123456789") for _ in range(8))
    body += "".join(rng.choice(USCC_CHARS) for _ in range(9))
    return make_uscc(body)


def company(rng):
    return rng.choice(COMPANIES) + rng.choice(SUFFIXES[:3])


def base(rng, kind):
    return enterprise_buyer(name=company(rng), tax_id=random_uscc(rng)), kind, [GOODS_13], "", None


def wrong_check(tax_id):
    alphabet = USCC_CHARS.replace(tax_id[-1], "")
    return tax_id[:-1] + alphabet[ord(tax_id[0]) % len(alphabet)]


# defect → function(rng) → (buyer, kind, tax codes of the lines, remark, line spec or None)
def _d(fn):
    return fn


DEFECTS = {
    "none": lambda r: base(r, r.choice(["ordinary", "special"])),
    "personal_clean": lambda r: (personal_buyer(name=r.choice(PEOPLE)), "ordinary",
                                 [r.choice([GOODS_13, SERVICE_6, EXEMPT, NON_TAXABLE])], "", None),
    "tax_id_wrong_check_char": lambda r: _mod(base(r, "ordinary"),
                                              tax_id=lambda b: wrong_check(b["tax_id"])),
    "tax_id_lowercase_spaces": lambda r: _mod(base(r, "special"),
                                              tax_id=lambda b: f"  {b['tax_id'].lower()} "),
    "tax_id_legacy_leading_zero": lambda r: _mod(base(r, "special"), tax_id=lambda b: r.choice(
        ["0" + "".join(r.choice("0123456789ABC") for _ in range(14)),
         "00" + "".join(r.choice("0123456789") for _ in range(18))])),
    "tax_id_inner_space": lambda r: _mod(base(r, "ordinary"),
                                         tax_id=lambda b: b["tax_id"][:6] + " " + b["tax_id"][6:]),
    "tax_id_letter_o_for_zero": lambda r: _mod(base(r, "ordinary"),
                                               tax_id=lambda b: "O" + b["tax_id"][1:]),
    "tax_id_17_chars": lambda r: _mod(base(r, "ordinary"), tax_id=lambda b: b["tax_id"][:17]),
    "tax_id_as_cast_number": lambda r: _mod(base(r, "ordinary"),  # a trim() that ate a zero
                                            tax_id=lambda b: "00012345678901234"[1:]),
    "name_emoji": lambda r: _mod(base(r, "ordinary"), name=lambda b: b["name"] + "🎉"),
    "name_control_char": lambda r: _mod(base(r, "ordinary"),
                                        name=lambda b: b["name"][:3] + r.choice(["\u200b", "\x07", "\ufeff"]) + b["name"][3:]),
    "name_digits_only": lambda r: _mod(base(r, "ordinary"), name=lambda b: "123456-789"),
    "name_too_long": lambda r: _mod(base(r, "ordinary"), name=lambda b: "华" * 97 + "有限公司"),
    "name_halfwidth_brackets": lambda r: _mod(base(r, "special"),
                                              name=lambda b: r.choice(COMPANIES) + "(上海)有限公司"),
    "name_stray_whitespace": lambda r: _mod(base(r, "special"),
                                            name=lambda b: f" {b['name'][:2]}  {b['name'][2:]}\t"),
    "special_missing_bank": lambda r: _mod(base(r, "special"), bank=lambda b: ""),
    "special_missing_address": lambda r: _mod(base(r, "special"), address=lambda b: ""),
    "special_personal_title": lambda r: (personal_buyer(name=r.choice(PEOPLE)), "special",
                                         [GOODS_13], "", None),
    "address_phone_too_long": lambda r: _mod(base(r, "special"),
                                             address=lambda b: "上海市浦东新区" + "某路" * 45),
    "tax_code_missing": lambda r: _codes(base(r, "ordinary"), [GOODS_13, None]),
    "tax_code_expired": lambda r: _codes(base(r, "ordinary"), [EXPIRED]),
    "tax_code_malformed": lambda r: _codes(base(r, "ordinary"), [MALFORMED, GOODS_13]),
    "exempt_code_with_rate": lambda r: _codes(base(r, "ordinary"), [BAD_EXEMPT_RATE]),
    "taxable_code_zero_rate": lambda r: _codes(base(r, "ordinary"), [BAD_TAXABLE_ZERO]),
    "non_taxable_code_as_taxable": lambda r: _codes(base(r, "ordinary"), [BAD_NON_TAXABLE]),
    "exempt_on_special": lambda r: _codes(base(r, "special"), [EXEMPT, GOODS_13]),
    "remark_too_long": lambda r: _mod(base(r, "ordinary"), remark="请注明" * 70),
    "personal_company_name": lambda r: (personal_buyer(name=company(r)), "ordinary",
                                        [GOODS_13], "", None),
    "enterprise_without_tax_id": lambda r: _mod(base(r, "ordinary"), tax_id=lambda b: ""),
    "enterprise_short_name": lambda r: _mod(base(r, "ordinary"),
                                            name=lambda b: r.choice(PEOPLE)),
    "over_limit_needs_split": lambda r: _mod(base(r, "special"),
                                             lines=[(4, "30000.00"), (1, "150000.00")]),
    "goods_title_emoji": lambda r: _mod(base(r, "ordinary"), title="🔥爆款" + "好" * 95),
}
FIXABLE = {"tax_id_lowercase_spaces": "tax_id", "name_halfwidth_brackets": "name",
           "name_stray_whitespace": "name", "goods_title_emoji": "lines["}
VALID = {"none", "personal_clean", "tax_id_legacy_leading_zero", "over_limit_needs_split"}


def _mod(spec, remark=None, lines=None, title=None, **changes):
    buyer, kind, codes, old_remark, old_lines = spec
    buyer = dict(buyer)
    for key, fn in changes.items():
        buyer[key] = fn(buyer)
    return buyer, kind, codes, remark if remark is not None else old_remark, \
        lines or old_lines, title


def _codes(spec, codes):
    buyer, kind, _, remark, lines = spec
    return buyer, kind, codes, remark, lines


def setup_catalogue():
    make_catalogue()
    make_tax_code(BAD_EXEMPT_RATE, "0.13", "exempt")
    make_tax_code(BAD_TAXABLE_ZERO, "0", "none")
    make_tax_code(BAD_NON_TAXABLE, "0.13", "none")
    make_tax_code(EXPIRED, "0.13", "none", valid_to=date(2020, 12, 31))
    make_tax_code(MALFORMED, "0.13", "none")
    make_seller("99999.99")


def build_order(rng, codes, lines, title, n):
    from orders.models import OrderLine, Sku

    if lines is None:
        lines = [(rng.randint(1, 3), f"{rng.randint(100, 99999) / 100:.2f}") for _ in codes]
        codes = codes + [rng.choice([GOODS_13, SERVICE_6, TRANSPORT_9])
                         for _ in range(rng.randint(0, 2))] if None not in codes \
            and codes[0] == GOODS_13 else codes
        lines += [(1, f"{rng.randint(100, 9999) / 100:.2f}") for _ in codes[len(lines):]]
    order = make_order(lines, sku_prefix=f"C{n}")
    for line, code in zip(order.lines.order_by("line_no"), codes + [GOODS_13] * 5, strict=False):
        Sku.objects.filter(pk=line.sku_id).update(tax_code_id=code)
        if title:
            OrderLine.objects.filter(pk=line.pk).update(title=title)
    return order


def test_corpus_precheck_vs_sandbox(gateway, django_capture_on_commit_callbacks):
    setup_catalogue()
    rng = random.Random(20261125)
    names = list(DEFECTS)
    stats = defaultdict(lambda: {"n": 0, "problem": 0, "fixed": 0, "passed": 0, "accepted": 0})
    failures = []
    for n in range(N):
        defect = names[n % len(names)]
        buyer, kind, codes, remark, lines, *rest = DEFECTS[defect](rng) + (None,)
        title = rest[0] if rest else None
        order = build_order(rng, list(codes), lines, title, n)
        request = invoice_request_create(order_oid=order.oid, kind=kind, buyer=buyer,
                                         remark=remark)
        s = stats[defect]
        s["n"] += 1
        if request.precheck["problems"]:
            s["problem"] += 1
            continue
        s["passed"] += 1
        if defect in FIXABLE and any(f["field"].startswith(FIXABLE[defect])
                                     for f in request.precheck["fixes"]):
            s["fixed"] += 1
        with django_capture_on_commit_callbacks(execute=True):
            invoice_request_submit(request_id=request.pk)
        for invoice in request.invoices.all():
            status = invoice_send_now(invoice_id=invoice.pk)
            first = GatewayAttempt.objects.filter(invoice=invoice).order_by("id").first()
            if status != "issued" or first.code != "E0000":
                invoice.refresh_from_db()
                failures.append((defect, invoice.reject_code, invoice.reject_message))
        s["accepted"] += 1
    print(f"\n{'defect':32} {'n':>4} {'caught':>7} {'rate':>6}  passed→accepted")
    for defect in names:
        s = stats[defect]
        caught = s["problem"] + s["fixed"]
        rate = "—" if defect in VALID else f"{caught / s['n']:.0%}"
        caught = "—" if defect in VALID else caught
        print(f"{defect:32} {s['n']:>4} {caught:>7} {rate:>6}  {s['passed']}→{s['accepted']}")
    total = sum(s["n"] for s in stats.values())
    print(f"total {total}; passed pre-check "
          f"{sum(s['passed'] for s in stats.values())}; sandbox rejections {len(failures)}")
    assert total >= 500
    assert failures == []
    for defect in names:
        s = stats[defect]
        if defect in VALID:
            assert s["problem"] == 0, defect
        elif defect in FIXABLE:
            assert s["fixed"] == s["n"], defect
        else:
            assert s["problem"] == s["n"], defect
