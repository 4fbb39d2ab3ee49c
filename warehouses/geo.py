"""Great-circle distances between warehouses and receivers (pure functions, no I/O
beyond reading the bundled centroid table once)."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

_DATA = Path(__file__).parent / "data" / "cn_centroids.json"
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州",
             "省", "市", "地区", "盟")
EARTH_RADIUS_KM = 6371.0088


@cache
def _table() -> dict:
    return json.loads(_DATA.read_text(encoding="utf-8"))


def normalize_place(name: str | None) -> str:
    """'上海市' → '上海', '广西壮族自治区' → '广西', ' 成都市 ' → '成都'."""
    name = (name or "").strip()
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def centroid(province: str | None, city: str | None) -> tuple[float, float, str] | None:
    """(lat, lng, "city"|"province") for a receiver; the city when known, else its province."""
    table = _table()
    city_key, province_key = normalize_place(city), normalize_place(province)
    if city_key in table["cities"]:
        lat, lng = table["cities"][city_key]
        return lat, lng, "city"
    if province_key in table["provinces"]:
        lat, lng = table["provinces"][province_key]
        return lat, lng, "province"
    return None


def warehouse_point(warehouse) -> tuple[float, float] | None:
    """A warehouse's own coordinates, else the centroid of its city/province."""
    if warehouse.lat is not None and warehouse.lng is not None:
        return float(warehouse.lat), float(warehouse.lng)
    found = centroid(warehouse.province, warehouse.city)
    return (found[0], found[1]) if found else None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
