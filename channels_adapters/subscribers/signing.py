"""The delivery signature (DESIGN §4): ``sha256=<hex HMAC-SHA256(secret, "<ts>.<raw body>")>``.

The signed bytes are exactly the bytes sent: callers pass the encoded body they send.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def signature_for(secret: str, timestamp: int | str, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_verify(
    *, secret: str, timestamp: str | None, signature: str | None, body: bytes,
    now: float | None = None, tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True when the signature matches and the timestamp is fresh (±``tolerance`` seconds)."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature_for(secret, timestamp, body), signature)
