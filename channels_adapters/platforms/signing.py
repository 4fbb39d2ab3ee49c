"""The signing schemes the platforms share (TOP-style MD5/HMAC over sorted key+value)."""

from __future__ import annotations

import hashlib
import hmac


def sorted_concat(params: dict[str, str], *, skip_empty: bool = False) -> str:
    return "".join(
        f"{k}{v}" for k, v in sorted(params.items())
        if k != "sign" and not (skip_empty and (v is None or v == ""))
    )


def top_sign(params: dict[str, str], secret: str, sign_method: str = "md5", *,
             skip_empty: bool = False) -> str:
    """``upper(hex(MD5(secret + Σ sorted(k+v) + secret)))`` or the HMAC variants (TOP, JD, PDD)."""
    concat = sorted_concat(params, skip_empty=skip_empty)
    method = (sign_method or "md5").lower()
    if method == "md5":
        digest = hashlib.md5((secret + concat + secret).encode("utf-8")).hexdigest()
    elif method == "hmac":
        digest = hmac.new(secret.encode(), concat.encode("utf-8"), hashlib.md5).hexdigest()
    elif method == "hmac-sha256":
        digest = hmac.new(secret.encode(), concat.encode("utf-8"), hashlib.sha256).hexdigest()
    else:
        raise ValueError(f"unknown sign method {sign_method!r}")
    return digest.upper()


def equal(a: str, b: str) -> bool:
    return hmac.compare_digest((a or "").lower().encode(), (b or "").lower().encode())
