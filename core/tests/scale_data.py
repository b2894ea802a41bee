"""Many rows, fast (bulk inserts): for the home page's fixed-query test and its benchmark."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from mailing.models import Client, Mailing, MailingStatus, Message


@dataclass(frozen=True)
class ScaleData:
    mailings: int
    active: int
    clients: int
    unique_addresses: int


def make_scale_data(*, owners: int = 10, clients_per_owner: int = 10_000, mailings_per_owner: int = 1_000) -> ScaleData:
    """Every owner has the same addresses (c0@x.org ...), so distinct addresses are far fewer than
    clients; each mailing has 10 recipients; one mailing in four is active."""
    now = timezone.now()
    users = User.objects.bulk_create(
        User(email=f"scale-owner-{n}@example.com", password="!", full_name=f"Owner {n}") for n in range(owners)
    )
    active = 0
    for user in users:
        message = Message.objects.create(owner=user, subject="Scale", body="Body")
        clients = Client.objects.bulk_create(
            (
                Client(owner=user, email=f"c{i}@x.org", full_name=f"Client {i}", created_at=now, updated_at=now)
                for i in range(clients_per_owner)
            ),
            batch_size=2_000,
        )
        mailings = Mailing.objects.bulk_create(
            (
                Mailing(
                    owner=user,
                    message=message,
                    start_at=now - timedelta(days=1),
                    end_at=now + timedelta(days=30),
                    status=MailingStatus.STARTED if j % 4 == 0 else MailingStatus.CREATED,
                    next_run_at=now,
                    created_at=now,
                    updated_at=now,
                )
                for j in range(mailings_per_owner)
            ),
            batch_size=2_000,
        )
        active += sum(1 for mailing in mailings if mailing.status == MailingStatus.STARTED)
        through = Mailing.clients.through
        Mailing.clients.through.objects.bulk_create(
            (
                through(mailing_id=mailing.pk, client_id=clients[(j * 10 + k) % clients_per_owner].pk)
                for j, mailing in enumerate(mailings)
                for k in range(10)
            ),
            batch_size=5_000,
        )
    covered = min(clients_per_owner, mailings_per_owner * 10)
    return ScaleData(
        mailings=owners * mailings_per_owner,
        active=active,
        clients=owners * clients_per_owner,
        unique_addresses=covered,
    )
