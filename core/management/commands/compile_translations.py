from django.core.management.base import BaseCommand, CommandError

from core.translations import catalogues


class Command(BaseCommand):
    help = (
        "Compile every locale/<lang>/LC_MESSAGES/<domain>.po (django and djangojs) to its .mo, in pure "
        "Python (no GNU gettext needed). With --check, write nothing and fail when a .mo is stale."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only report stale .mo files; exit 1 if any.")

    def handle(self, *args, check=False, **options):
        found = catalogues()
        if not found:
            raise CommandError("No .po files under LOCALE_PATHS.")
        stale = []
        for catalogue in found:
            if check:
                state = "up to date" if catalogue.is_current() else "STALE"
                if state == "STALE":
                    stale.append(catalogue)
            else:
                state = "compiled" if catalogue.write() else "unchanged"
            self.stdout.write(f"{catalogue.mo}: {state}")
        if stale:
            raise CommandError(f"{len(stale)} .mo file(s) are stale: run `manage.py compile_translations`.")
