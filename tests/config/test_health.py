from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_is_up(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_database_cache_and_broker_answer(client: Client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.usefixtures("redis_down")
def test_readyz_names_the_cache_when_redis_is_down(client: Client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["down"] == ["cache"]
    assert body["checks"]["database"] == "ok"
