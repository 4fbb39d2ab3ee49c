"""Demo data for ``seed_demo``: sandbox ERP/WMS/CRM receivers and subscriptions to them."""

from channels_adapters.subscribers.services.seed import subscribers_seed_demo


def seed(*, stdout=None, port: int = 8000) -> str:
    subs = subscribers_seed_demo(f"http://127.0.0.1:{port}")
    return f"{len(subs)} subscriptions to sandbox receivers"
