from __future__ import annotations

from channels_adapters.subscribers.services.subscriptions import subscription_create
from tests.factories.orders import canonical_order, make_shop, make_sku

SECRET = "s3cret-for-tests-0123456789"


def subscribe(url: str, name: str = "erp", **extra):
    return subscription_create(name=name, url=url, secret=extra.pop("secret", SECRET), **extra)


def ingest(n: int = 1, **extra):
    from orders.services.ingest import order_ingest

    make_shop()
    make_sku()
    return [order_ingest(canonical=canonical_order(**extra), source="test").order
            for _ in range(n)]
