"""Pre-check: find every reason the tax system would reject a request, before sending it.

Problems carry stable codes (issue 7):

``buyer_tax_id_missing``, ``buyer_tax_id_invalid``, ``buyer_name_invalid``,
``buyer_name_too_long``, ``special_invoice_profile_incomplete``, ``tax_code_missing``,
``tax_code_invalid``, ``exempt_mismatch``, ``exempt_on_special_invoice``,
``remark_too_long``, ``personal_title_suspect`` — plus ``buyer_field_too_long`` for the
provider's combined-length limits (address + phone, bank + account ≤ 100).

Safe fixes are applied and reported (``fixes``): surrounding / doubled / stray
whitespace, full-width vs half-width brackets, taxpayer id upper-cased and
trimmed, goods names cleaned to the tax character set and cut to 90 characters.
Anything else that would change what the buyer told us (dropping an emoji from
a name, removing a space inside a tax id) is refused and reported as a problem.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from invoicing.models import Exemption, InvoiceKind, TitleType
from invoicing.taxid import is_valid_tax_id, normalize_tax_id

from .items import Item

NAME_MAX = 100
REMARK_MAX = 200          # 数电票
GOODS_NAME_MAX = 90
COMBINED_MAX = 100
NON_TAXABLE_PREFIX = "6"  # 不征税项目 codes in the catalogue start with 6
BUYER_FIELDS = ("title_type", "name", "tax_id", "address", "phone", "bank", "account", "email")

_COMPANY = re.compile(
    r"(公司|有限|集团|企业|工厂|厂$|商行|事务所|研究院|研究所|中心$|合作社|商店|店$|经营部|门市部|"
    r"学校|学院|医院|银行|协会|委员会|政府|局$|院$|\bco\b|\bco\.|\bltd\b|\binc\b|\bllc\b|\bcorp\b)",
    re.IGNORECASE,
)
_WS = re.compile(r"[\s\u3000\u00a0]+")
_CJK = r"\u3400-\u9fff\uff08\uff09"
_WS_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])[ ]|[ ](?=[{_CJK}])")
_CODE = re.compile(r"^\d{19}$")


@dataclass(frozen=True)
class Problem:
    code: str
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "field": self.field, "message": self.message}


@dataclass
class PrecheckResult:
    buyer: dict
    items: list[Item]
    problems: list[Problem] = field(default_factory=list)
    fixes: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"ok": self.ok, "problems": [p.as_dict() for p in self.problems],
                "fixes": list(self.fixes)}


# ---------------------------------------------------------------- character rules

def _in_tax_charset(ch: str) -> bool:
    if ord(ch) > 0xFFFF or unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs", "Cn"}:
        return False
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def _has_letter(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def _clean_spaces(text: str) -> str:
    text = _WS.sub(" ", text).strip()
    return _WS_NEAR_CJK.sub("", text)


def _fix_brackets(name: str) -> str:
    if re.search(f"[{_CJK}]", name):
        return name.replace("(", "（").replace(")", "）")
    return name.replace("（", "(").replace("）", ")")


# ---------------------------------------------------------------- the check

def precheck(*, buyer: dict, kind: str, items: list[Item], remarks: list[str],
             today: date | None = None) -> PrecheckResult:
    today = today or timezone.localdate()
    fixed, fixes = _fix_buyer(buyer)
    items, item_fixes = _fix_items(items)
    result = PrecheckResult(buyer=fixed, items=items, fixes=fixes + item_fixes)
    add = result.problems.append
    _check_buyer(fixed, kind, add)
    _check_items(items, kind, today, add)
    longest = max((len(r) for r in remarks), default=0)
    if longest > REMARK_MAX:
        add(Problem("remark_too_long", "remark",
                    f"The remark is {longest} characters; at most {REMARK_MAX} fit."))
    return result


def _fix_buyer(buyer: dict) -> tuple[dict, list[dict]]:
    out = {k: (buyer.get(k) or "") for k in BUYER_FIELDS}
    fixes: list[dict] = []

    def note(name, before, after, what):
        if before != after:
            fixes.append({"field": name, "fix": what, "from": before, "to": after})

    for name in ("name", "address", "phone", "bank", "account", "email"):
        before = out[name]
        out[name] = _clean_spaces(before)
        note(name, before, out[name], "whitespace")
    before = out["name"]
    out["name"] = _fix_brackets(out["name"])
    note("name", before, out["name"], "brackets")
    before = out["tax_id"]
    out["tax_id"] = normalize_tax_id(before)
    note("tax_id", before, out["tax_id"], "upper_trim")
    return out, fixes


def _fix_items(items: list[Item]) -> tuple[list[Item], list[dict]]:
    out, fixes = [], []
    for item in items:
        title = "".join(ch if _in_tax_charset(ch) or ch.isspace() else " " for ch in item.title)
        title = _clean_spaces(title)[:GOODS_NAME_MAX] or "商品"
        if title != item.title:
            fixes.append({"field": f"lines[{item.index}].title", "fix": "goods_name",
                          "from": item.title, "to": title})
            item = item.with_title(title)
        out.append(item)
    return out, fixes


def _check_buyer(b: dict, kind: str, add) -> None:
    name, tax_id, title = b["name"], b["tax_id"], b["title_type"]
    special = kind == InvoiceKind.SPECIAL
    if not name:
        add(Problem("buyer_name_invalid", "name", "The buyer name is empty."))
    elif any(not _in_tax_charset(ch) for ch in name):
        bad = "".join(sorted({ch for ch in name if not _in_tax_charset(ch)}))
        add(Problem("buyer_name_invalid", "name",
                    f"The buyer name has characters the tax system cannot print: {bad!r}."))
    elif not _has_letter(name):
        add(Problem("buyer_name_invalid", "name", "The buyer name is only digits or punctuation."))
    if len(name) > NAME_MAX:
        add(Problem("buyer_name_too_long", "name",
                    f"The buyer name has {len(name)} characters; at most {NAME_MAX}."))
    if tax_id and not is_valid_tax_id(tax_id):
        add(Problem("buyer_tax_id_invalid", "tax_id",
                    "The taxpayer id is not a valid USCC, resident id or 15/20-character id."))
    if not tax_id and (special or title == TitleType.ENTERPRISE):
        add(Problem("buyer_tax_id_missing", "tax_id", "An enterprise buyer needs a taxpayer id."))
    if special:
        missing = [f for f in ("address", "phone", "bank", "account") if not b[f]]
        if title != TitleType.ENTERPRISE:
            missing.insert(0, "title_type")
        if missing:
            add(Problem("special_invoice_profile_incomplete", missing[0],
                        "A special invoice needs an enterprise title, address, phone, bank and "
                        f"account; missing: {', '.join(missing)}."))
    if len(b["address"]) + len(b["phone"]) > COMBINED_MAX:
        add(Problem("buyer_field_too_long", "address",
                    f"Address and phone together exceed {COMBINED_MAX} characters."))
    if len(b["bank"]) + len(b["account"]) > COMBINED_MAX:
        add(Problem("buyer_field_too_long", "bank",
                    f"Bank and account together exceed {COMBINED_MAX} characters."))
    if title == TitleType.PERSONAL and _COMPANY.search(name):
        add(Problem("personal_title_suspect", "title_type",
                    "A personal title whose name looks like a company."))
    elif title == TitleType.ENTERPRISE and (not tax_id or len(name) <= 4):
        add(Problem("personal_title_suspect", "title_type",
                    "An enterprise title without a taxpayer id or with a name of 4 characters "
                    "or fewer looks like a person."))
    elif title not in TitleType.values:
        add(Problem("personal_title_suspect", "title_type", "Unknown title type."))


def _check_items(items: list[Item], kind: str, today: date, add) -> None:
    special = kind == InvoiceKind.SPECIAL
    for item in items:
        where = f"lines[{item.index}].tax_code"
        if not item.tax_code:
            add(Problem("tax_code_missing", where, f"Line {item.index} has no tax code."))
            continue
        if (not _CODE.match(item.tax_code) or not item.code_known
                or (item.code_valid_from and item.code_valid_from > today)
                or (item.code_valid_to and item.code_valid_to < today)):
            add(Problem("tax_code_invalid", where,
                        f"Line {item.index}: {item.tax_code} is not a current 19-digit code."))
            continue
        exempt_kind = item.exemption != Exemption.NONE
        non_taxable_code = item.tax_code.startswith(NON_TAXABLE_PREFIX)
        if (exempt_kind and item.rate != 0) or (not exempt_kind and item.rate == 0) or (
            non_taxable_code != (item.exemption == Exemption.NON_TAXABLE)
        ):
            add(Problem("exempt_mismatch", where,
                        f"Line {item.index}: exemption '{item.exemption}' does not match rate "
                        f"{item.rate} / code {item.tax_code}."))
            continue
        if special and item.exemption == Exemption.EXEMPT:
            add(Problem("exempt_on_special_invoice", where,
                        f"Line {item.index} is tax-exempt and cannot go on a special invoice."))
