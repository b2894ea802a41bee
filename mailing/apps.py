from django.apps import AppConfig


class MailingConfig(AppConfig):
    name = "mailing"
    verbose_name = "Mailing"

    def ready(self):
        from mailing import checks  # noqa: F401  (registers the mail settings' checks)
