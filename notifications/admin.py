"""E-mails and notifications in the admin, read-only: which were sent, which were given up.
The address shows; a body never does (emptied once sent or given up)."""

from __future__ import annotations

from django.contrib import admin

from consultations.admin import ReadOnlyAdminMixin
from notifications.models import Email, Notification


@admin.register(Email)
class EmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "template", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "template", "created_at")
    search_fields = ("to",)
    exclude = ("body",)
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "recipient", "key", "email", "created_at")
    list_filter = ("kind", "created_at")
    search_fields = ("recipient__username", "key")
    list_select_related = ("recipient", "email")
    date_hierarchy = "created_at"
