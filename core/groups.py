"""Staff groups and their permissions, applied by data migrations.

Each app's data migration calls ``grant`` with its own codenames, so groups grow
with the apps and a fresh database and an old one end up the same.
"""

from __future__ import annotations

GROUPS = ("warehouse", "finance", "ops")


def ensure_permissions(apps) -> None:
    """Create model permissions now (they are normally created after all migrations)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, apps=apps)


def grant(apps, mapping: dict[str, list[str]]) -> None:
    """mapping: group name -> ["app_label.codename", ...]."""
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in mapping.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
            group.permissions.add(permission)
