import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User, UserManager

PASSWORD_ENV = "DJANGO_MANAGER_PASSWORD"


class Command(BaseCommand):
    help = (
        "Grant the manager role (the Managers group) to a user, creating the account when the address "
        "has none (verified: you vouch for it). --content-manager grants the Content managers role "
        "instead (the blog in the admin). With --noinput the password of a new account comes from "
        f"${PASSWORD_ENV}."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The user's e-mail address.")
        parser.add_argument("--full-name", default="", help="The name of a new account.")
        parser.add_argument(
            "--content-manager",
            action="store_true",
            help="Grant the Content managers role (and admin access) instead of the Managers role.",
        )
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive", help="Never prompt.")

    def handle(self, *args, email, full_name, content_manager, interactive, **options):
        role = "content_manager" if content_manager else "manager"
        label = "Content managers" if content_manager else "Managers"
        user = User.objects.filter(email=UserManager.normalize_email(email)).first()
        if user is None:
            user = self._create(email, full_name, interactive)
            self.stdout.write(f"Created the account {user.email} (verified).")
        if services.user_grant_role(user=user, role=role):
            self.stdout.write(self.style.SUCCESS(f"{user.email} now has the {label} role."))
        else:
            self.stdout.write(f"{user.email} already has the {label} role.")
        if user.is_blocked:
            self.stderr.write(self.style.WARNING(f"{user.email} is blocked: unblock the account to use the role."))

    def _create(self, email, full_name, interactive) -> User:
        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            if not interactive:
                raise CommandError(f"{email} has no account: set ${PASSWORD_ENV} to create it without a prompt.")
            password = getpass.getpass("Password for the new account: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        try:
            return services.user_create(email=email, password=password, full_name=full_name, verified=True)
        except ValidationError as error:
            lines = [f"{field}: {message}" for field, messages in error.message_dict.items() for message in messages]
            raise CommandError("\n".join(lines)) from None
