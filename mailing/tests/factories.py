from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from mailing.models import Client, Mailing, Message, Periodicity


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    owner = factory.SubFactory(UserFactory)
    email = factory.Sequence(lambda n: f"client{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Client {n}")
    comment = ""


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    owner = factory.SubFactory(UserFactory)
    subject = factory.Sequence(lambda n: f"Subject {n}")
    body = "Hello, this is the body."


class MailingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mailing
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    message = factory.LazyAttribute(lambda o: MessageFactory(owner=o.owner))
    start_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    end_at = factory.LazyAttribute(lambda o: o.start_at + timedelta(days=30))
    periodicity = Periodicity.ONCE
    next_run_at = factory.LazyAttribute(lambda o: o.start_at)

    @factory.post_generation
    def clients(self, create, extracted, **kwargs):
        if create and extracted:
            self.clients.set(extracted)
