"""Demo data, so that a new installation shows a living service: `manage.py seed_demo`."""

import io
import secrets
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import CONTENT_MANAGERS_GROUP, MANAGERS_GROUP, User
from blog import services as blog_services
from blog.models import Post
from mailing.models import Periodicity
from mailing.services import clients as client_services
from mailing.services import mailings as mailing_services
from mailing.services import messages as message_services

OWNER = ("demo@example.com", "Dana Demo")
MANAGER = ("manager@example.com", "Max Manager")
EDITOR = ("editor@example.com", "Erin Editor")

CLIENTS = [
    ("alice@example.org", "Alice Martin"),
    ("bob@example.org", "Bob Dupont"),
    ("carol@example.org", "Carol Smith"),
    ("dave@example.org", "Dave Brown"),
    ("eve@example.org", "Eve Moreau"),
    ("frank@example.org", "Frank Weber"),
    ("grace@example.org", "Grace Rossi"),
    ("heidi@example.org", "Heidi Novak"),
]

MESSAGES = [
    ("Welcome aboard", "Hello,\n\nthank you for joining us. Here is what to expect.\n\nThe team"),
    ("Our weekly digest", "Hello,\n\nhere are this week's news.\n\nThe team"),
    ("Monthly offers", "Hello,\n\nthis month's offers are in.\n\nThe team"),
]

POSTS = [
    ("How to write a subject line people open", (37, 99, 235), "Short, specific, and honest beats clever."),
    ("Keeping your client list clean", (5, 150, 105), "Remove bounces, merge duplicates, ask before adding."),
    ("Daily, weekly or monthly?", (217, 119, 6), "Choose the rhythm your readers expect, then keep it."),
    ("What the delivery report tells you", (190, 24, 93), "Every recipient, every run, with the server's answer."),
]


def _picture(title: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    """A 1200x800 gradient card with the title on it, drawn by Pillow."""
    width, height = 1200, 800
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(c * (1 - shade) + 255 * shade * 0.35) for c in color))
    for n in range(6):
        draw.ellipse([90 + n * 170, 520 - n * 40, 250 + n * 170, 680 - n * 40], outline="white", width=6)
    draw.text((80, 120), title, fill="white", font_size=56)
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=88)
    return SimpleUploadedFile("cover.jpg", output.getvalue(), content_type="image/jpeg")


class Command(BaseCommand):
    help = "Create demo users (an owner, a manager, a content manager), clients, messages, mailings and posts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="The demo users' password (default: a new random one, printed). Re-running sets it again.",
        )

    @transaction.atomic
    def handle(self, *args, password=None, **options):
        password = password or secrets.token_urlsafe(12)
        owner = self._user(*OWNER, password=password)
        manager = self._user(*MANAGER, password=password, staff=True, group=MANAGERS_GROUP)
        editor = self._user(*EDITOR, password=password, staff=True, group=CONTENT_MANAGERS_GROUP)

        created = self._mailing_data(owner) if not owner.mailings.exists() else "kept the demo owner's mailings"
        posts = self._posts()

        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  {created}; {posts}")
        self.stdout.write("Log in (the same password for all three):")
        roles = [
            (owner, "owner (GraphQL API)"),
            (manager, "manager (admin, read-only)"),
            (editor, "content manager (admin: the blog)"),
        ]
        for user, role in roles:
            self.stdout.write(f"  {role:34} {user.email} / {password}")

    def _user(self, email, full_name, *, password, staff=False, group=None) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password, full_name=full_name, is_staff=staff)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    def _mailing_data(self, owner) -> str:
        clients = [
            client_services.client_create(owner=owner, email=email, full_name=name)
            for email, name in CLIENTS
            if not owner.clients.filter(email=email).exists()
        ] or list(owner.clients.all())
        messages = [message_services.message_create(owner=owner, subject=s, body=b) for s, b in MESSAGES]
        start = timezone.now() + timedelta(minutes=5)
        plan = [
            (Periodicity.ONCE, messages[0], clients[:3], timedelta(days=1)),
            (Periodicity.DAILY, messages[1], clients[2:6], timedelta(days=14)),
            (Periodicity.WEEKLY, messages[1], clients, timedelta(days=90)),
            (Periodicity.MONTHLY, messages[2], clients[4:], timedelta(days=365)),
        ]
        for periodicity, message, recipients, length in plan:
            mailing_services.mailing_create(
                owner=owner,
                message_id=message.pk,
                client_ids=[client.pk for client in recipients],
                start_at=start,
                end_at=start + length,
                periodicity=periodicity,
            )
        return f"{len(clients)} clients, {len(messages)} messages, {len(plan)} mailings (once, daily, weekly, monthly)"

    def _posts(self) -> str:
        made = 0
        for days_ago, (title, color, body) in enumerate(POSTS):
            if Post.objects.filter(title=title).exists():
                continue
            blog_services.post_create(
                title=title,
                body=f"{body}\n\nA demo post: edit or delete it in the admin.",
                image=_picture(title, color),
                is_published=True,
                published_at=timezone.now() - timedelta(days=days_ago),
            )
            made += 1
        return f"{made} posts with pictures" if made else "kept the demo posts"
