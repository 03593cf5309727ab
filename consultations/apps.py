from __future__ import annotations

from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consultations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cases sits below consultations and cannot import it: the case page learns of this
        # panel through the registry instead.
        from cases.panels import case_panel_register

        case_panel_register(title="AI consultations", url_name="consultations:case-panel")
