"""Per-endpoint integration contracts (系统交互备忘录): see ``subscribers.services.contracts``."""

from channels_adapters.subscribers.models import Contract, DownstreamOrderNumber  # noqa: F401
from channels_adapters.subscribers.services.contracts import (  # noqa: F401
    ContractViolation,
    contract_check,
    order_number_get,
    order_numbers_assign,
)
