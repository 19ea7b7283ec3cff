from django.core.management.base import BaseCommand, CommandError

from esafety.demo import DEMO_PASSWORD, LARGE, SMALL, build_demo
from esafety.models import School
from esafety.scoping import scope


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
            with scope(school=school):
                self.stdout.write(
                    f"Built {school.name}: {school.pupils.current().count()} pupils on roll, {school.staff.count()} staff."
                )
        self._print_logins(built[0][0])

    def _print_logins(self, school):
        from esafety.models import Membership

        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD}):"))
        rows = {}
        # Every school of the demo's trust (the partner school's logins too), each role named with its school.
        schools = School.objects.filter(trust=school.trust) if school.trust_id else School.objects.filter(pk=school.pk)
        for m in Membership.objects.filter(school__in=schools).select_related("user", "school").order_by("user__email"):
            rows.setdefault(m.user.email, set()).add(f"{m.get_role_display()} ({m.school.name})")
        for m in Membership.objects.filter(trust=school.trust).select_related("user"):
            rows.setdefault(m.user.email, set()).add(m.get_role_display())
        from esafety.models import User

        for admin in User.objects.filter(is_superuser=True, email__endswith=school.email.split("@")[-1]):
            rows.setdefault(admin.email, set()).add("Set-up administrator (admin site)")
        width = max(len(e) for e in rows)
        for email, roles in sorted(rows.items()):
            self.stdout.write(f"  {email.ljust(width)}  {', '.join(sorted(roles))}")
        self._print_second_factors(rows)

    def _print_second_factors(self, rows):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from esafety.second_factor import backup_codes_unused, secret_for_typing

        devices = TOTPDevice.objects.filter(user__email__in=rows, confirmed=True).select_related("user").order_by("user__email")
        if not devices:
            return
        self.stdout.write(
            "\nTwo-factor sign-in: these logins ask for a code after the password. Type one of the backup codes\n"
            "shown (each works once), or add the key to an authenticator app on your phone (Microsoft or Google\n"
            "Authenticator: add an account, choose to enter a key, and type the key shown):"
        )
        for device in devices:
            codes = ", ".join(backup_codes_unused(device.user)[:3]) or "none left: use the key"
            self.stdout.write(f"  {device.user.email}\n      backup codes: {codes}\n      key: {secret_for_typing(device)}")
