from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from consultations.policies import POLICIES
from drafting.doctypes import DOCUMENT_TYPES


@pytest.mark.django_db
def test_the_api_docs_page_loads_its_scripts_from_this_site_only() -> None:
    page = Client().get("/api/docs/").content.decode()

    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui" in source for source in sources)
    # Swagger UI's start-up script is the page's own (`?script`), never inline.
    assert all(source.startswith(("/static/", "/api/docs/?script")) for source in sources), sources


def _schema() -> dict:
    return json.loads(Client().get("/api/schema/", HTTP_ACCEPT="application/json").content)


def _enum(schema: dict, prop: dict) -> list[str]:
    refs = [part["$ref"] for part in prop.get("allOf", []) + prop.get("oneOf", [])]
    return [v for ref in refs for v in schema["components"]["schemas"][ref.split("/")[-1]]["enum"]]


@pytest.mark.django_db
def test_the_schema_names_the_policies_and_document_types_a_client_may_send() -> None:
    schema = _schema()
    components = schema["components"]["schemas"]
    # One request shape per document type, told apart by `type`.
    mapping = components["GenerateDocumentRequest"]["discriminator"]["mapping"]
    assert list(mapping) == list(DOCUMENT_TYPES)
    for type_id, reference in mapping.items():
        generate = components[reference.rsplit("/", 1)[1]]["properties"]
        assert _enum(schema, generate["type"]) == [type_id]
        assert _enum(schema, generate["policy"]) == [*POLICIES, ""]

    assert _enum(schema, components["AnalyzeRequest"]["properties"]["policy"]) == list(POLICIES)
    assert components["ChatRequest"]["properties"]["message"]["minLength"] == 1
