from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "mailing.identities"
    label = "identities"
    verbose_name = "Senders: identities, DKIM keys and sending rates"
