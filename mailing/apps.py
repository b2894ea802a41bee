from django.apps import AppConfig


class MailingConfig(AppConfig):
    name = "mailing"
    verbose_name = "Mailing"

    def ready(self):
        from django_q.signals import post_spawn

        from mailing import checks  # noqa: F401  (registers the mail settings' checks)
        from mailing.delivery import stopping

        # django-q's hook into its own worker processes (not a model signal): each one learns of
        # an orderly stop itself, instead of finishing its whole task first.
        post_spawn.connect(stopping.on_worker_spawn, dispatch_uid="mailing.delivery.stopping")
