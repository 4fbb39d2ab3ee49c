"""``{% load liuzhuan_format %}`` → ``{{ order.paid_amount|yuan }}`` renders ``¥1,234.50``."""

from django import template

from core.formatting import yuan as _yuan

register = template.Library()


@register.filter(is_safe=True)
def yuan(value) -> str:
    return _yuan(value)
