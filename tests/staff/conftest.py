"""Helpers for the staff import/export tests."""

from __future__ import annotations

import csv
import io

import pytest


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def read_csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def export_post_data(resource_cls, fields: list[str] | None = None, fmt: int = 0) -> dict:
    """The export form's POST: format index, resource index, one checkbox per column."""
    names = fields or list(resource_cls().get_export_order())
    data = {"format": str(fmt), "resource": "0"}
    for name in names:
        data[f"{resource_cls.__name__.lower()}_{name}"] = "on"
    return data


@pytest.fixture
def staff_client(client, group_user):
    def make(group: str):
        client.force_login(group_user(group))
        return client

    return make
