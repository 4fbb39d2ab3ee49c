import django_filters

from orders.choices import Channel, OrderStatus
from orders.models import Order


class OrderFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    shop = django_filters.CharFilter(field_name="shop__code")
    warehouse = django_filters.CharFilter(field_name="warehouse__code")
    channel_order_id = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    has_open_alert = django_filters.BooleanFilter(method="filter_has_open_alert")

    class Meta:
        model = Order
        fields = ["status", "channel", "shop", "warehouse", "channel_order_id"]

    def filter_has_open_alert(self, queryset, name, value):
        from orders import alerts_registry

        return alerts_registry.filter_has_open_alert(queryset, value)
