"""Integration contracts: downstream order numbers and the checks made before sending.

Order numbers (DESIGN §3): an endpoint that needs, say, exactly 18 digits gets a number
derived deterministically from (contract, oid) — a hash, with a counter bumped only on a
collision — and *stored* the first time it is needed.  Every later delivery (retries,
replays, other events of the order) reads the stored number, so it never changes even if
the derivation or the contract is edited later; a stored number that no longer fits the
contract is refused before sending rather than silently replaced.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core.errors import DomainError

from ..models import Contract, DownstreamOrderNumber, OrderNumberCharset

ALPHABETS = {
    OrderNumberCharset.DIGITS: string.digits,
    OrderNumberCharset.ALNUM: string.digits + string.ascii_uppercase,
}
MAX_COLLISION_BUMPS = 50


class ContractViolation(DomainError):
    """The delivery does not satisfy the endpoint's integration contract."""

    code = "contract_violation"
    status = 422


def _derive(contract: Contract, oid: UUID, bump: int) -> str:
    length = contract.order_number_length
    prefix = contract.order_number_prefix
    alphabet = ALPHABETS[contract.order_number_charset]
    width = length - len(prefix)
    if width < 6:
        raise ContractViolation(
            gettext("contract %(contract)s: prefix %(prefix)r leaves %(width)d characters "
                    "of %(length)d; need at least 6")
            % {"contract": contract.name, "prefix": prefix, "width": width, "length": length},
            code="contract_order_number_unworkable",
        )
    seed = f"{contract.pk}:{oid}:{bump}".encode()
    value = int.from_bytes(hashlib.sha256(seed).digest(), "big")
    chars = []
    for _ in range(width):
        value, rem = divmod(value, len(alphabet))
        chars.append(alphabet[rem])
    return prefix + "".join(chars)


def order_number_get(*, contract: Contract, oid: UUID) -> str:
    """The stored downstream number of ``oid`` for ``contract`` (derived and stored once)."""
    if not contract.order_number_length:
        return str(oid)
    row = DownstreamOrderNumber.objects.filter(contract=contract, oid=oid).first()
    if row:
        return row.number
    for bump in range(MAX_COLLISION_BUMPS):
        number = _derive(contract, oid, bump)
        try:
            with transaction.atomic():
                DownstreamOrderNumber.objects.create(contract=contract, oid=oid, number=number)
            return number
        except IntegrityError:
            row = DownstreamOrderNumber.objects.filter(contract=contract, oid=oid).first()
            if row:  # a concurrent worker stored it first
                return row.number
    raise ContractViolation(gettext("no free order number for %(oid)s under %(contract)s")
                            % {"oid": oid, "contract": contract.name},
                            code="contract_order_number_exhausted")


BULK_SQL = """
INSERT INTO subscribers_downstreamordernumber (contract_id, oid, number, created_at)
SELECT %s, t.oid, t.number, now() FROM unnest(%s::uuid[], %s::text[]) AS t(oid, number)
ON CONFLICT DO NOTHING
RETURNING oid
"""


def order_numbers_assign(*, contract: Contract, oids: Iterable[UUID], batch: int = 20000) -> int:
    """Derive and store numbers for many orders at once (backfills, load tests).

    Orders that already have a number keep it; the rare hash collisions fall back to the
    one-by-one path, which bumps the counter.  Returns how many orders have a number.
    """
    if not contract.order_number_length:
        return 0
    from django.db import connection

    oids = list(dict.fromkeys(oids))
    for start in range(0, len(oids), batch):
        chunk = oids[start : start + batch]
        numbers = [_derive(contract, oid, 0) for oid in chunk]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(BULK_SQL, [contract.pk, chunk, numbers])
            inserted = {row[0] for row in cursor.fetchall()}
        missing = [oid for oid in chunk if oid not in inserted]
        if missing:
            have = set(DownstreamOrderNumber.objects.filter(contract=contract, oid__in=missing)
                       .values_list("oid", flat=True))
            for oid in missing:
                if oid not in have:
                    order_number_get(contract=contract, oid=oid)
    return len(oids)


def contract_check(*, contract: Contract | None, order_number: str | None, body: bytes) -> None:
    """Raise ``ContractViolation`` with a clear message when the body may not be sent."""
    if contract is None:
        return
    length = contract.order_number_length
    if length and order_number is not None:
        if len(order_number) != length:
            raise ContractViolation(
                gettext("order number %(number)r has %(n)d characters; "
                        "contract %(contract)s requires exactly %(length)d")
                % {"number": order_number, "n": len(order_number), "contract": contract.name,
                   "length": length},
                code="contract_order_number_length",
            )
        alphabet = set(ALPHABETS[contract.order_number_charset]) | set(contract.order_number_prefix)
        if not set(order_number) <= alphabet:
            raise ContractViolation(
                gettext("order number %(number)r uses characters contract %(contract)s "
                        "does not allow (%(charset)s)")
                % {"number": order_number, "contract": contract.name,
                   "charset": contract.get_order_number_charset_display()},
                code="contract_order_number_charset",
            )
    if contract.max_body_bytes and len(body) > contract.max_body_bytes:
        raise ContractViolation(
            gettext("body is %(n)d bytes; contract %(contract)s allows at most %(max)d")
            % {"n": len(body), "contract": contract.name, "max": contract.max_body_bytes},
            code="contract_body_too_large",
        )
