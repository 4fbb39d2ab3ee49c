"""HTTP for the gateway client: stdlib urllib (no extra dependency)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class Response:
    status: int
    body: dict
    headers: dict


class TransportError(Exception):
    """The gateway could not be reached (connection refused, timeout)."""


class UrllibTransport:
    def request(self, method: str, url: str, body: dict | None, timeout: float) -> Response:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return Response(resp.status, _json(resp.read()), dict(resp.headers))
        except urllib.error.HTTPError as exc:
            return Response(exc.code, _json(exc.read()), dict(exc.headers or {}))
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise TransportError(str(exc)) from exc


def _json(raw: bytes) -> dict:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {"code": "bad_response", "describe": raw[:200].decode(errors="replace")}
    return data if isinstance(data, dict) else {"data": data}
