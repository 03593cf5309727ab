from __future__ import annotations

from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consultations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cases sits below consultations and cannot import it: the case page learns of this
        # panel through the registry instead.
        from accounts.people import PeopleColumn, people_column_register
        from cases.models import Document
        from cases.panels import case_panel_register
        from cases.signals import document_ready
        from config.metrics import LLM_ERRORS
        from consultations.budgets import users_with_month_cost
        from consultations.models import Consultation
        from consultations.tasks import document_ready_received
        from consultations.tools.signals import tool_cache_signals_connect

        case_panel_register(title="AI consultations", url_name="consultations:case-panel")
        # Accounts sits below too: the admins' people list shows this month's AI cost by it.
        people_column_register(
            PeopleColumn(
                title="AI cost this month",
                annotate=users_with_month_cost,
                value=lambda user: f"${user.ai_cost_this_month:,.2f}",
            )
        )
        # At 0 from the start, so that the LLMProviderMisconfigured alert (an increase) sees
        # the very first refusal: a series born at 1 has no increase to Prometheus.
        for kind in Consultation.Kind.values:
            LLM_ERRORS.labels(kind, "misconfigured")
        document_ready.connect(
            document_ready_received, sender=Document, dispatch_uid="consultations-embed"
        )
        tool_cache_signals_connect()
