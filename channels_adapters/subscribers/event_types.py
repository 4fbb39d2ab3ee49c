"""The public event types (DESIGN §4 "Events out")."""

ORDER_EVENT_TYPES = (
    "order.created",
    "order.paid",
    "order.approved",
    "order.on_hold",
    "order.allocated",
    "order.picking",
    "order.shipped",
    "order.delivered",
    "order.completed",
    "order.cancelled",
    "order.refund_changed",
)
OTHER_EVENT_TYPES = ("invoice.issued", "invoice.rejected", "invoice.red", "alert.opened")
EVENT_TYPES = ORDER_EVENT_TYPES + OTHER_EVENT_TYPES
