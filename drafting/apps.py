from __future__ import annotations

from django.apps import AppConfig


class DraftingConfig(AppConfig):
    name = "drafting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cases sits below drafting and cannot import it: the case page learns of this panel
        # through the registry instead.
        from cases.panels import case_panel_register

        case_panel_register(title="Drafts", url_name="drafting:case-panel")
