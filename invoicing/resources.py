"""CSV import/export (django-import-export) — interfaces: parse, then call services.

* Identifiers (tax codes, taxpayer ids, accounts, phones) are text cells: a cell that
  arrives as a number (a spreadsheet format that already dropped leading zeros) is
  refused, never cast back.
* Formula escaping: the export formats (``core.exports.formats``) give any text cell starting
  with = + - @ (or tab / CR) a leading apostrophe, and ``TextWidget`` removes exactly that
  apostrophe on import, so values round-trip.
* Separate import and export resources; profiles are saved through the profile services
  (history kept); FSM state is never imported.
"""

from __future__ import annotations

from import_export import fields, resources

from core.exports.formula import TextWidget
from invoicing.models import TaxCode, TaxProfile
from invoicing.services.profiles import tax_profile_create, tax_profile_update


def _text(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=TextWidget(strict_text=True))


class TaxCodeImportResource(resources.ModelResource):
    code = _text("code")
    name = _text("name")
    short_name = _text("short_name")

    class Meta:
        model = TaxCode
        import_id_fields = ["code"]
        fields = ["code", "name", "short_name", "rate", "exemption", "valid_from", "valid_to"]
        skip_unchanged = True
        clean_model_instances = True


class TaxCodeExportResource(TaxCodeImportResource):
    class Meta(TaxCodeImportResource.Meta):
        pass


class TaxProfileExportResource(resources.ModelResource):
    customer_channel = fields.Field(attribute="customer__channel", column_name="customer_channel",
                                    widget=TextWidget(strict_text=True))
    customer_buyer_id = fields.Field(attribute="customer__channel_buyer_id",
                                     column_name="customer_buyer_id", widget=TextWidget(strict_text=True))
    title_type = _text("title_type")
    name = _text("name")
    tax_id = _text("tax_id")
    address = _text("address")
    phone = _text("phone")
    bank = _text("bank")
    account = _text("account")
    email = _text("email")

    class Meta:
        model = TaxProfile
        fields = ["id", "customer_channel", "customer_buyer_id", "title_type", "name", "tax_id",
                  "address", "phone", "bank", "account", "email", "verified", "version"]
        export_order = fields


class TaxProfileImportResource(TaxProfileExportResource):
    """Rows with an ``id`` update that profile (history kept); rows without create one."""

    class Meta(TaxProfileExportResource.Meta):
        import_id_fields = ["id"]
        fields = ["id", "customer_channel", "customer_buyer_id", "title_type", "name", "tax_id",
                  "address", "phone", "bank", "account", "email", "verified"]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute and "__" in field.attribute:
            return  # customer columns are resolved in do_instance_save
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def before_import_row(self, row, **kwargs):
        from orders.models import Customer

        channel = TextWidget(strict_text=True).clean(row.get("customer_channel"))
        buyer_id = TextWidget(strict_text=True).clean(row.get("customer_buyer_id"))
        row["_customer"] = None
        if channel and buyer_id:
            customer = Customer.objects.filter(channel=channel,
                                               channel_buyer_id=buyer_id).first()
            if customer is None:
                raise ValueError(f"unknown customer {channel}/{buyer_id}")
            row["_customer"] = customer
        if row.get("id") in ("", None):
            row["id"] = None

    def save_instance(self, instance, is_create, row, **kwargs):
        if self._is_dry_run(kwargs) and not self._is_using_transactions(kwargs):
            return
        data = {k: getattr(instance, k) for k in
                ("title_type", "name", "tax_id", "address", "phone", "bank", "account", "email",
                 "verified")}
        if is_create:
            saved = tax_profile_create(data=data, customer=row.get("_customer"),
                                       actor=self.actor, source="import")
        else:
            saved = tax_profile_update(profile_id=instance.pk, data=data, actor=self.actor,
                                       source="import", customer=row.get("_customer"))
        instance.pk, instance.version = saved.pk, saved.version
