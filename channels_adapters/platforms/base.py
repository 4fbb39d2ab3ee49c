"""Shared parsing primitives for the platform adapters.

Every platform sends numbers, strings and times in its own way; the helpers here
turn them into what ``orders.canonical`` wants (string ids, ``Decimal`` yuan,
aware datetimes) and raise ``DocumentError`` — a ``ValidationFailed`` with a
stable code and the offending field — for anything that does not fit, so a bad
document becomes a 400, never a 500 and never a half-written order.

JSON is always parsed with ``loads`` below: integers stay *strings* (a 19-digit
Doudian or Taobao id must never pass through ``float``) and decimals become
``Decimal``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext

from core.errors import ValidationFailed

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_MONEY = Decimal("999999999999.99")
# Times the platforms send for "not set".
UNSET_TIMES = {"", "0", "0000-00-00 00:00:00", "0001-01-01 00:00:00", "1970-01-01 00:00:00",
               "1970-01-01 08:00:00"}


class DocumentError(ValidationFailed):
    """The platform document does not have the shape the platform's field table says."""

    code = "invalid_document"


def _reject_constant(name: str):
    message = gettext("%(name)s is not valid JSON here") % {"name": name}
    raise DocumentError(message, code="malformed_json")


def loads(raw: bytes | str) -> Any:
    """Parse platform JSON: ints → ``str`` (exact), floats → ``Decimal``, NaN refused."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DocumentError(
                gettext("the body is not UTF-8 (byte %(byte)s)") % {"byte": exc.start},
                code="invalid_encoding",
            ) from None
    try:
        return json.loads(raw, parse_int=str, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            _malformed(exc),
            code="malformed_json",
        ) from None
    except RecursionError:
        raise DocumentError(gettext("JSON nested too deeply"), code="malformed_json") from None


_DECODER = json.JSONDecoder(parse_int=str, parse_float=Decimal, parse_constant=_reject_constant)
_SPACE = " \t\n\r"


def loads_array_items(raw: bytes) -> list[tuple[bytes, Any]]:
    """A JSON array → ``(exact raw bytes, parsed value)`` per element (parsed as ``loads``).

    The bytes of each element are its own slice of the body, so every document of a batch
    can be archived exactly as it arrived.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = gettext("the body is not UTF-8 (byte %(byte)s)") % {"byte": exc.start}
        raise DocumentError(message, code="invalid_encoding") from None

    def skip(i: int) -> int:
        while i < len(text) and text[i] in _SPACE:
            i += 1
        return i

    i = skip(0)
    if i >= len(text) or text[i] != "[":
        raise DocumentError(gettext("the body must be a JSON array of order documents"), code="not_an_array")
    items, i = [], skip(i + 1)
    if i < len(text) and text[i] == "]":
        i += 1
    else:
        while True:
            try:
                value, end = _DECODER.raw_decode(text, i)
            except json.JSONDecodeError as exc:
                raise DocumentError(_malformed(exc), code="malformed_json") from None
            except RecursionError:
                raise DocumentError(gettext("JSON nested too deeply"), code="malformed_json") from None
            items.append((text[i:end].encode("utf-8"), value))
            i = skip(end)
            if i < len(text) and text[i] == ",":
                i = skip(i + 1)
                continue
            if i < len(text) and text[i] == "]":
                i += 1
                break
            message = gettext("malformed JSON at character %(i)s: expected ',' or ']'") % {"i": i}
            raise DocumentError(message, code="malformed_json")
    if skip(i) != len(text):
        message = gettext("malformed JSON at character %(i)s: extra data") % {"i": i}
        raise DocumentError(message, code="malformed_json")
    return items


def _malformed(exc: json.JSONDecodeError) -> str:
    return (gettext("malformed JSON at line %(line)s column %(column)s: %(error)s")
            % {"line": exc.lineno, "column": exc.colno, "error": exc.msg})


def fail(field: str, message: str) -> DocumentError:
    return DocumentError(f"{field}: {message}", details={field: [message]})


def obj(value: Any, field: str, *, required: bool = True) -> dict:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise fail(field, gettext("must be an object"))
    return value


def array(value: Any, field: str, *, required: bool = False) -> list:
    if value is None or value == "":
        if required:
            raise fail(field, gettext("is required"))
        return []
    if not isinstance(value, list):
        raise fail(field, gettext("must be an array"))
    return value


def text(value: Any, field: str, *, max_length: int = 2000) -> str:
    """A free-text field: strings as they are, numbers as their literal, null as ''."""
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise fail(field, gettext("must be a string"))
    out = str(value).strip()
    if len(out) > max_length:
        raise fail(field, gettext("longer than %(n)s characters") % {"n": max_length})
    return out


def ident(value: Any, field: str, *, required: bool = False, max_length: int = 64) -> str:
    """A platform id: a string, or an integer JSON number (kept exact as a string)."""
    if isinstance(value, Decimal):
        raise fail(field, gettext("an id must be an integer or a string, not a decimal number"))
    out = text(value, field, max_length=max_length)
    if required and not out:
        raise fail(field, gettext("is required"))
    return out


def integer(value: Any, field: str, *, default: int | None = None) -> int | None:
    """A small code or count (status codes, quantities) — never an identifier."""
    if value is None or value == "":
        return default
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise fail(field, gettext("must be an integer"))
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise fail(field, gettext("must be an integer"))
        return int(value)
    out = str(value).strip()
    if not re.fullmatch(r"-?\d{1,12}", out):
        raise fail(field, gettext("must be an integer"))
    return int(out)


def code(value: Any, field: str) -> str:
    """A status code as the platform's raw string (``105``, ``"WAIT_SELLER_STOCK_OUT"``)."""
    return text(value, field, max_length=64)


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise fail(field, gettext("must be a number"))
    try:
        out = Decimal(str(value).strip())
    except InvalidOperation:
        raise fail(field, gettext("must be a number")) from None
    if not out.is_finite():
        raise fail(field, gettext("must be a finite number"))
    return out


def yuan(value: Any, field: str, *, default: Decimal | None = ZERO) -> Decimal:
    """Yuan sent as a decimal string (``"200.07"``) or a JSON number (``0.0``)."""
    out = _decimal(value, field)
    if out is None:
        if default is None:
            raise fail(field, gettext("is required"))
        return default
    if abs(out) > MAX_MONEY:
        raise fail(field, gettext("amount out of range"))
    if out < 0:
        raise fail(field, gettext("must not be negative"))
    return out.quantize(CENT, rounding=ROUND_HALF_UP)


def fen(value: Any, field: str, *, default: Decimal | None = ZERO) -> Decimal:
    """Fen (hundredths of a yuan) sent as an integer or a digit string → yuan."""
    out = _decimal(value, field)
    if out is None:
        if default is None:
            raise fail(field, gettext("is required"))
        return default
    if out != out.to_integral_value():
        raise fail(field, gettext("fen must be a whole number"))
    out = (out / 100).quantize(CENT)
    if abs(out) > MAX_MONEY:
        raise fail(field, gettext("amount out of range"))
    if out < 0:
        raise fail(field, gettext("must not be negative"))
    return out


def shanghai_time(value: Any, field: str) -> datetime | None:
    """``yyyy-MM-dd HH:mm:ss`` in Asia/Shanghai (or ISO with offset, or unix s/ms)."""
    if value is None:
        return None
    if isinstance(value, (dict, list, bool)):
        raise fail(field, gettext("must be a time"))
    raw = str(value).strip()
    if raw in UNSET_TIMES:
        return None
    if re.fullmatch(r"\d{9,13}", raw):
        return unix_time(raw, field)
    try:
        parsed = datetime.fromisoformat(raw.replace("/", "-"))
    except ValueError:
        raise fail(field, gettext("must be a time like 2026-11-11 10:00:00")) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    if parsed.year < 1990:
        return None
    return parsed


def unix_time(value: Any, field: str) -> datetime | None:
    """Unix seconds, or milliseconds (13 digits); 0 = unset."""
    number = integer(value, field, default=0)
    if not number:
        return None
    if number < 0:
        raise fail(field, gettext("must not be negative"))
    if number >= 10**11:  # milliseconds
        return datetime.fromtimestamp(number / 1000, tz=UTC).astimezone(SHANGHAI)
    return datetime.fromtimestamp(number, tz=UTC).astimezone(SHANGHAI)


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "y"}
    return bool(value)


# ----------------------------------------------------------------------------- receivers

_CIPHER = re.compile(r"^(~.+~.*|#.+#.*|\$.+\$.*|AAS[A-Za-z0-9+/=]{8,}.*)$", re.S)


def is_masked(value: str) -> bool:
    """Masked (``张**``, ``136****5678``) or platform ciphertext (``~AgAA…~``, ``#…#``, ``AAS…``)."""
    return bool(value) and ("*" in value or bool(_CIPHER.match(value)))


def first(*values: str) -> str:
    return next((v for v in values if v), "")


# ----------------------------------------------------------------------------- amounts


def balance(*, goods: Decimal, shipping: Decimal, tax: Decimal, paid: Decimal) -> tuple[Decimal, Decimal]:
    """Return ``(goods, discount)`` so that goods − discount + shipping + tax = paid.

    ``discount`` gathers every seller and platform discount and adjustment; a net
    price *increase* (seller raised the price) goes into ``goods`` instead, so
    neither is negative.
    """
    discount = goods + shipping + tax - paid
    if discount < 0:
        return goods - discount, ZERO
    return goods, discount


def line_amount(unit_price: Decimal, quantity: int) -> Decimal:
    return (unit_price * quantity).quantize(CENT)


def refund_rollup(line_statuses: list[str], *, closed_after_refund: bool = False) -> str:
    """Order-level after-sales status from the lines.

    ``requested`` while any line has an open request; ``refunded`` once the whole
    order is refunded; a partial refund stays on its lines only.
    """
    if closed_after_refund:
        return "refunded"
    if any(s == "requested" for s in line_statuses):
        return "requested"
    if line_statuses and all(s == "refunded" for s in line_statuses):
        return "refunded"
    return "none"


# ----------------------------------------------------------------------------- redaction

PII_KEYS = re.compile(
    r"(receiver|consignee|fullname|full_address|fulladdress|mobile|phone|tel|post_addr|"
    r"address|detail|id_card|idcard|user_name|username|name_mask|addr)", re.I
)
_KEEP = re.compile(r"(_id$|^id$|province|city|town|county|district|state|country|status)", re.I)


def redact(value: Any, key: str = "") -> Any:
    """A copy of a parsed document with personal data replaced — for admin display and logs."""
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if key and PII_KEYS.search(key) and not _KEEP.search(key) and isinstance(value, str) and value:
        return "[redacted]"
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, indent=2)
