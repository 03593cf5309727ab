from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.signals import task_postrun

        from config.leases import job_given_up
        from notifications import receivers

        task_postrun.connect(
            receivers.background_job_ended, weak=False, dispatch_uid="notifications-jobs"
        )
        job_given_up.connect(receivers.job_given_up, dispatch_uid="notifications-given-up")
