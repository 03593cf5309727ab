from __future__ import annotations

from collections.abc import Callable
from unittest import mock

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_an_unreachable_database_is_a_503_to_retry_on_the_api(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    lost = OperationalError(2013, "Lost connection to server during query")

    with mock.patch("cases.apis.case_list", side_effect=lost):
        response = api.get("/api/cases/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "The service is briefly unavailable, please try again."}
