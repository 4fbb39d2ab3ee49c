"""Make sure a superuser and demo staff users exist, and say how to log in."""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from config.embedded import var_dir

DEMO_STAFF = {"warehouse": "warehouse1", "finance": "finance1", "ops": "ops1"}


class Command(BaseCommand):
    help = "Create the admin account (and demo staff per group) if missing; print how to log in."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, port, **options):
        password = self._password()
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True, "email": ""}
        )
        if created:
            admin.set_password(password)
            admin.save()
        for group_name, username in DEMO_STAFF.items():
            user, made = User.objects.get_or_create(username=username, defaults={"is_staff": True})
            if made:
                user.set_password(password)
                user.save()
                group = Group.objects.filter(name=group_name).first()
                if group:
                    user.groups.add(group)
        token, _ = Token.objects.get_or_create(user=admin)
        self.stdout.write(self.style.SUCCESS(
            f"\nLog in at http://127.0.0.1:{port}/admin/ as admin / {password}\n"
            f"Demo staff: {', '.join(DEMO_STAFF.values())} (same password)\n"
            f"API token for admin: {token.key}  (Authorization: Token {token.key})\n"
        ))

    def _password(self) -> str:
        given = os.environ.get("LIUZHUAN_ADMIN_PASSWORD")
        if given:
            return given
        path = var_dir() / "admin-password"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(12))
            path.chmod(0o600)
        return path.read_text().strip()
