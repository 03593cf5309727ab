from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.signals import task_postrun

        from notifications.receivers import background_job_ended

        task_postrun.connect(background_job_ended, weak=False, dispatch_uid="notifications-jobs")
