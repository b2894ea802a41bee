from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "mailing.identities"
    label = "identities"
    verbose_name = "Sender identities and DKIM keys"
