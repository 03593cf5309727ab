from __future__ import annotations

import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_api_docs_page_loads_its_scripts_from_this_site_only() -> None:
    page = Client().get("/api/docs/").content.decode()

    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui" in source for source in sources)
    assert all(source.startswith("/static/") for source in sources), sources
