"""Seed the demo data and open a session for bench/lighthouse.sh; prints the session's cookies
and a mailing's page path, one per line. Runs against the database the environment names."""

import base64
import os
import sys
from io import StringIO
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from accounts.models import User

    call_command("migrate", verbosity=0)
    call_command("seed_demo", password="lighthouse demo password", stdout=StringIO())
    owner = User.objects.get(email="demo@example.com")
    browser = Client()
    browser.force_login(owner)
    mailing = owner.mailings.order_by("pk").first()
    print(f"sessionid={browser.cookies['sessionid'].value}; csrftoken={_get_new_csrf_string()}")
    print(f"/app/mailings/{base64.b64encode(f'Mailing:{mailing.pk}'.encode()).decode()}/")


if __name__ == "__main__":
    main()
