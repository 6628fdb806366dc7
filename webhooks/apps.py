from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        # The outbox (`articles.tasks`) records webhook deliveries; how one is sent, retried
        # and given up on lives here.
        from articles import tasks

        from . import delivery

        tasks.HANDLERS.update(dict.fromkeys(tasks.WEBHOOK_KINDS, delivery.deliver))
        tasks.HANDLERS[delivery.PAUSED_MAIL] = delivery.mail_paused
        tasks.RETRY_POLICIES.update(dict.fromkeys(tasks.WEBHOOK_KINDS, delivery.retry_at))
