from django.core.management.base import BaseCommand

from esafety.roles import permissions_table_markdown


class Command(BaseCommand):
    help = "Print the roles-and-permissions table (docs/permissions.md) from esafety/roles.py."

    def handle(self, *args, **options):
        self.stdout.write(permissions_table_markdown(), ending="")
