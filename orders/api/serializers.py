from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from core.api.fields import MoneyField, StrictCharField, StrictIntegerField
from core.api.serializers import BuiltFieldsOnceMixin
from orders.canonical import CanonicalBuyer, CanonicalLine, CanonicalOrder, CanonicalReceiver
from orders.choices import Channel, CustomerLevel, HoldReason, OrderStatus, RefundStatus
from orders.models import Customer, Order, OrderEvent, OrderLine, Shop, Sku

# ----------------------------------------------------------------------------- output


class BuyerOutSerializer(serializers.Serializer):
    channel_buyer_id = serializers.CharField(source="customer.channel_buyer_id", default="")
    nick = serializers.CharField(source="customer.nick", default="")
    level = serializers.CharField(source="customer.level", default=None)


class ReceiverOutSerializer(serializers.Serializer):
    name = serializers.CharField(source="receiver_name")
    phone = serializers.CharField(source="receiver_phone")
    province = serializers.CharField(source="receiver_province")
    city = serializers.CharField(source="receiver_city")
    district = serializers.CharField(source="receiver_district")
    address = serializers.CharField(source="receiver_address")
    masked = serializers.BooleanField(source="receiver_masked")


class AmountsOutSerializer(serializers.Serializer):
    goods = MoneyField(source="goods_amount")
    discount = MoneyField(source="discount_amount")
    shipping = MoneyField(source="shipping_amount")
    tax = MoneyField(source="tax_amount")
    paid = MoneyField(source="paid_amount")


class OrderLineOutSerializer(BuiltFieldsOnceMixin, serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code", default=None)
    unit_price = MoneyField()
    amount = MoneyField()

    class Meta:
        model = OrderLine
        fields = ["line_no", "sku", "merchant_code", "channel_sku_id", "channel_line_id", "title",
                  "quantity", "unit_price", "amount", "refund_status"]


class OrderOutSerializer(BuiltFieldsOnceMixin, serializers.ModelSerializer):
    shop = serializers.CharField(source="shop.code")
    buyer = BuyerOutSerializer(source="*")
    receiver = ReceiverOutSerializer(source="*")
    amounts = AmountsOutSerializer(source="*")
    warehouse = serializers.CharField(source="warehouse.code", default=None)
    priority_score = serializers.DecimalField(max_digits=8, decimal_places=2)
    lines = OrderLineOutSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "oid", "channel", "shop", "channel_order_id", "status", "channel_status",
            "channel_modified_at", "hold_reason", "refund_status", "buyer", "receiver", "amounts",
            "currency", "presale", "cross_border", "paid_at", "promised_ship_by",
            "priority_score", "warehouse", "carrier", "tracking_no", "lines", "created_at",
            "updated_at",
        ]


class OrderEventOutSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", default=None)

    class Meta:
        model = OrderEvent
        fields = ["id", "type", "actor", "source", "occurred_at", "payload"]


class BindingOutSerializer(serializers.Serializer):
    oid = serializers.UUIDField()
    channel = serializers.CharField()
    shop = serializers.CharField(source="shop.code")
    channel_order_id = serializers.CharField()


# ----------------------------------------------------------------------------- input


class OrderBuyerInSerializer(serializers.Serializer):
    channel_buyer_id = StrictCharField(max_length=128, required=False, allow_blank=True, default="")
    nick = StrictCharField(max_length=128, required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(choices=CustomerLevel.choices, required=False, allow_null=True)


class OrderReceiverInSerializer(serializers.Serializer):
    name = StrictCharField(max_length=255, required=False, allow_blank=True, default="")
    phone = StrictCharField(max_length=255, required=False, allow_blank=True, default="")
    province = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    city = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    district = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    address = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")
    masked = serializers.BooleanField(required=False, default=False)


class AmountsInSerializer(serializers.Serializer):
    goods = MoneyField()
    discount = MoneyField(required=False, default=Decimal("0.00"))
    shipping = MoneyField(required=False, default=Decimal("0.00"))
    tax = MoneyField(required=False, default=Decimal("0.00"))
    paid = MoneyField()

    def validate(self, attrs):
        expected = attrs["goods"] - attrs["discount"] + attrs["shipping"] + attrs["tax"]
        if expected != attrs["paid"]:
            raise serializers.ValidationError(
                {"paid": f"goods − discount + shipping + tax = {expected}, not {attrs['paid']}"},
                code="amounts_mismatch",
            )
        return attrs


class LineInSerializer(serializers.Serializer):
    sku = StrictCharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    channel_sku_id = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    channel_line_id = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    title = StrictCharField(max_length=255, required=False, allow_blank=True, default="")
    quantity = StrictIntegerField(min_value=1, max_value=1_000_000)
    unit_price = MoneyField()
    amount = MoneyField()
    refund_status = serializers.ChoiceField(
        choices=RefundStatus.choices, required=False, default=RefundStatus.NONE
    )


class OrderIngestSerializer(serializers.Serializer):
    """One canonical order (the output shape without ``oid``)."""

    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    shop = StrictCharField(max_length=64)
    channel_order_id = StrictCharField(max_length=64)
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    channel_status = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    channel_modified_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    channel_created_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    hold_reason = serializers.ChoiceField(choices=HoldReason.choices, required=False, default="")
    refund_status = serializers.ChoiceField(
        choices=RefundStatus.choices, required=False, default=RefundStatus.NONE
    )
    buyer = OrderBuyerInSerializer(required=False)
    receiver = OrderReceiverInSerializer(required=False)
    amounts = AmountsInSerializer()
    currency = StrictCharField(max_length=3, required=False, default="CNY")
    presale = serializers.BooleanField(required=False, default=False)
    cross_border = serializers.BooleanField(required=False, default=False)
    buyer_message = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)
    seller_memo = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)
    paid_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    promised_ship_by = serializers.DateTimeField(required=False, allow_null=True, default=None)
    carrier = StrictCharField(max_length=32, required=False, allow_blank=True, default="")
    tracking_no = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    lines = LineInSerializer(many=True, allow_empty=False, max_length=5000)

    def validate(self, attrs):
        amount_sum = sum((line["amount"] for line in attrs["lines"]), start=0)
        goods = attrs["amounts"]["goods"]
        if amount_sum > goods:
            raise serializers.ValidationError(
                {"lines": f"line amounts add up to {amount_sum}, more than goods {goods}"},
                code="amounts_mismatch",
            )
        return attrs

    def to_canonical(self) -> CanonicalOrder:
        data = self.validated_data
        amounts = data["amounts"]
        return CanonicalOrder(
            shop_code=data["shop"],
            channel=data.get("channel", ""),
            channel_order_id=data["channel_order_id"],
            status=data["status"],
            channel_status=data["channel_status"],
            channel_modified_at=data["channel_modified_at"],
            channel_created_at=data["channel_created_at"],
            hold_reason=data["hold_reason"],
            refund_status=data["refund_status"],
            buyer=CanonicalBuyer(**data.get("buyer", {})),
            receiver=CanonicalReceiver(**data.get("receiver", {})),
            goods=amounts["goods"],
            discount=amounts["discount"],
            shipping=amounts["shipping"],
            tax=amounts["tax"],
            paid=amounts["paid"],
            currency=data["currency"],
            presale=data["presale"],
            cross_border=data["cross_border"],
            buyer_message=data["buyer_message"],
            seller_memo=data["seller_memo"],
            paid_at=data["paid_at"],
            promised_ship_by=data["promised_ship_by"],
            carrier=data["carrier"],
            tracking_no=data["tracking_no"],
            lines=tuple(
                CanonicalLine(
                    sku=line.get("sku") or None,
                    channel_sku_id=line["channel_sku_id"],
                    channel_line_id=line["channel_line_id"],
                    title=line["title"],
                    quantity=line["quantity"],
                    unit_price=line["unit_price"],
                    amount=line["amount"],
                    refund_status=line["refund_status"],
                )
                for line in data["lines"]
            ),
        )


class TransitionInSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=HoldReason.choices, required=False)
    carrier = StrictCharField(max_length=32, required=False)
    tracking_no = StrictCharField(max_length=64, required=False)
    note = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


# ----------------------------------------------------------------------------- master data


class ShopSerializer(serializers.ModelSerializer):
    app_secret = serializers.CharField(write_only=True, required=False, allow_blank=True)
    access_token = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Shop
        fields = ["channel", "code", "name", "app_key", "app_secret", "access_token",
                  "api_base_url", "active"]


class SkuSerializer(serializers.ModelSerializer):
    tax_code = serializers.SlugRelatedField(
        slug_field="code", queryset=Sku._meta.get_field("tax_code").related_model.objects.all(),
        required=False, allow_null=True,
    )
    substitutes = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Sku.objects.all(), required=False
    )

    class Meta:
        model = Sku
        fields = ["code", "name", "cold_chain", "high_value", "weight_g", "tax_code",
                  "substitutes", "active"]


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "channel", "channel_buyer_id", "nick", "level", "blacklisted"]
