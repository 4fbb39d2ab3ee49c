from django.core.management.base import BaseCommand

from channels_adapters.subscribers.services.seed import subscribers_seed_demo


class Command(BaseCommand):
    help = "Create the sandbox ERP/WMS/CRM receivers and subscribe them (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url, **options):
        for sub in subscribers_seed_demo(base_url):
            self.stdout.write(f"subscription {sub.pk} {sub.name} → {sub.url}")
