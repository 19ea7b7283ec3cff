from django.core.management.base import BaseCommand, CommandError

from esafety.demo import DEMO_PASSWORD, LARGE, SMALL, build_demo
from esafety.models import School


class Command(BaseCommand):
    help = "Build demo schools with pupils, parents/carers, staff and one login per role, and print the logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=["normal", "large"],
            default="normal",
            help="normal: a 400-pupil primary and a small partner school; large: a 1,500-pupil secondary with five years of leavers.",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (but print the logins) if the demo is already there."
        )

    def handle(self, *args, size, if_empty, **options):
        urn = (LARGE if size == "large" else SMALL).urn
        if School.objects.filter(urn=urn).exists():
            if not if_empty:
                raise CommandError("The demo school is already in this database. Use a fresh database, or --if-empty.")
            self.stdout.write("The demo data is already in place.")
            self._print_logins(School.objects.get(urn=urn))
            return
        built = build_demo(size)
        for school, _ in built:
            self.stdout.write(
                f"Built {school.name}: {school.pupils.current().count()} pupils on roll, {school.staff.count()} staff."
            )
        self._print_logins(built[0][0])

    def _print_logins(self, school):
        from esafety.models import Membership

        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD}):"))
        rows = {}
        for m in Membership.objects.filter(school=school).select_related("user").order_by("user__email"):
            rows.setdefault(m.user.email, set()).add(m.get_role_display())
        for m in Membership.objects.filter(trust=school.trust).select_related("user"):
            rows.setdefault(m.user.email, set()).add(m.get_role_display())
        from esafety.models import User

        for admin in User.objects.filter(is_superuser=True, email__endswith=school.email.split("@")[-1]):
            rows.setdefault(admin.email, set()).add("Set-up administrator (admin site)")
        width = max(len(e) for e in rows)
        for email, roles in sorted(rows.items()):
            self.stdout.write(f"  {email.ljust(width)}  {', '.join(sorted(roles))}")
