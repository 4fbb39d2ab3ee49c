"""Sales-platform adapters, one module each; ``get_platform(name)`` finds them."""

from . import douyin, jd, pdd, taobao  # noqa: F401  (each module registers itself)
from .registry import GatewayError, Platform, get_platform, platforms

__all__ = ["GatewayError", "Platform", "get_platform", "platforms"]
