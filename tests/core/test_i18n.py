"""The zh-hans catalogue: complete, compiled, and actually used by the admin."""

from __future__ import annotations

import gettext
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from orders.choices import Channel, HoldReason, OrderStatus

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LOCALE_DIR / "django.po"
MO = LOCALE_DIR / "django.mo"
PROJECT_APPS = {"core", "orders", "warehouses", "invoicing", "channels_adapters", "subscribers", "alerts"}


def _i18n_check():
    """scripts/i18n_check.py (the .po parser), loaded by path: scripts/ is not a package."""
    if "liuzhuan_i18n_check" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "liuzhuan_i18n_check", Path(settings.BASE_DIR) / "scripts" / "i18n_check.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while building
        spec.loader.exec_module(module)
    return sys.modules["liuzhuan_i18n_check"]


def _catalog(path: Path) -> dict:
    with path.open("rb") as fh:
        return dict(gettext.GNUTranslations(fh)._catalog)


# ------------------------------------------------------------------ the files


def test_po_has_no_untranslated_or_fuzzy_entries():
    check = _i18n_check()
    entries = [e for e in check.parse(PO) if e.msgid and not e.obsolete]
    assert len(entries) > 500
    untranslated = [e.msgid for e in entries if not e.translated]
    fuzzy = [e.msgid for e in entries if e.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    # placeholders (%(name)s, {}, %s) survive translation
    assert check.problems(entries) == []


def test_po_header_declares_one_plural_form():
    header = next(e for e in _i18n_check().parse(PO) if e.msgid == "")
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert not header.fuzzy


def test_mo_is_compiled_from_the_current_po(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (gettext) is not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check", "-o", str(fresh), str(PO)], check=True, capture_output=True)
    assert _catalog(MO) == _catalog(fresh), (
        "locale/zh_Hans/LC_MESSAGES/django.mo is stale: run "
        "`python manage.py compilemessages -l zh_Hans --ignore=.venv` and commit it")


def test_every_lazy_model_label_is_in_the_catalogue():
    """Model/field verbose names, help texts and choice labels of our apps are translated."""
    catalog = _catalog(MO)
    missing = set()

    def need(value, where):
        if isinstance(value, Promise) and getattr(value, "_args", None):
            msgid = value._args[0]
            if isinstance(msgid, str) and msgid and msgid not in catalog:
                missing.add(f"{where}: {msgid!r}")

    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        name = model._meta.label
        need(model._meta.verbose_name, name)
        need(model._meta.verbose_name_plural, name)
        for f in model._meta.get_fields():
            need(getattr(f, "verbose_name", None), f"{name}.{f.name}")
            need(getattr(f, "help_text", None), f"{name}.{f.name}")
            for _value, label in getattr(f, "flatchoices", None) or []:
                need(label, f"{name}.{f.name} choice")
        for _codename, label in model._meta.permissions:
            need(label, f"{name} permission")
    assert sorted(missing) == [], (
        "run makemessages -l zh_Hans and translate the new entries (scripts/i18n_check.py)")


# ------------------------------------------------------------------ runtime lookups


def test_key_strings_translate_under_zh_hans():
    with translation.override("zh-hans"):
        assert str(OrderStatus.PAID.label) == "已付款待审核"
        assert str(OrderStatus.ON_HOLD.label) == "已挂起"
        assert str(HoldReason.SECOND_REVIEW.label) == "二级审核"
        assert str(Channel.PDD.label) == "拼多多"
        assert translation.gettext("tracking number") == "运单号"
        assert translation.gettext("outbound batch") == "出库批次"
        assert translation.gettext("taxpayer id") == "纳税人识别号"
        # plural: one form in Chinese, placeholders still filled
        text = translation.ngettext("%(n)d pull queued.", "%(n)d pulls queued.", 3) % {"n": 3}
        assert text == "已将 3 个拉取任务加入队列。"
    with translation.override("en"):
        assert str(OrderStatus.PAID.label) == "Paid, awaiting review"


def test_every_order_choice_label_is_chinese():
    with translation.override("zh-hans"):
        for choices in (OrderStatus, HoldReason, Channel):
            for value, label in choices.choices:
                if value:
                    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(label)), (choices, value, label)


# ------------------------------------------------------------------ the admin


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["admin:index", "admin:orders_order_changelist"])
def test_admin_pages_render_in_chinese_for_a_chinese_browser(admin_client, url_name):
    response = admin_client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.headers["Content-Language"] == "zh-hans"
    assert "订单" in html
    assert "Orders" not in html
    if url_name == "admin:index":
        assert "仓储" in html  # warehouses app, from our catalogue (Django ships no such string)
        assert "发票管理" in html
    else:
        assert "已付款待审核" in html  # status filter, from our catalogue
        assert "挂起原因" in html


@pytest.mark.django_db
def test_a_mainland_browser_gets_simplified_chinese(admin_client):
    """Chinese browsers send zh-CN, not zh-hans; Django falls back to zh-hans."""
    response = admin_client.get(reverse("admin:orders_order_changelist"),
                                HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8")
    assert response.headers["Content-Language"] == "zh-hans"
    assert "已付款待审核" in response.content.decode()


@pytest.mark.django_db
def test_language_cookie_selects_chinese(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = admin_client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "已付款待审核" in html


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["admin:index", "admin:orders_order_changelist"])
def test_admin_pages_stay_english_for_an_english_browser(admin_client, url_name):
    response = admin_client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Orders" in html
    assert "订单" not in html
    if url_name == "admin:orders_order_changelist":
        assert "Paid, awaiting review" in html
