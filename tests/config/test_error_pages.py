"""What a user sees when something fails: the API's JSON errors and the pages' own."""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from tests.problems import problem_of

pytestmark = pytest.mark.django_db

LOST = OperationalError(2013, "Lost connection to server during query")


def test_an_unreachable_database_is_a_503_to_retry_on_the_api(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    with mock.patch("cases.apis.case_list", side_effect=LOST):
        response = api_client_for(client_user).get("/api/cases")

    assert response["Retry-After"] == "5"
    problem = problem_of(response, 503)
    assert problem["detail"] == "The service is briefly unavailable, please try again."


def test_an_unreachable_database_is_the_briefly_unavailable_page(
    lawyer: User, page_client_for: Callable[[User], Client]
) -> None:
    page = page_client_for(lawyer)

    with mock.patch("cases.selectors.case_list", side_effect=LOST):
        response = page.get("/cases/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Counsel is briefly unavailable" in response.content.decode()
    assert "Lost connection" not in response.content.decode()


def test_a_missing_page_says_so_in_words(
    lawyer: User, page_client_for: Callable[[User], Client]
) -> None:
    response = page_client_for(lawyer).get("/cases/999999/")

    assert response.status_code == 404
    assert "This page does not exist, or is not yours to see" in response.content.decode()


def test_an_unexpected_error_is_the_something_went_wrong_page(
    lawyer: User, page_client_for: Callable[[User], Client]
) -> None:
    page = page_client_for(lawyer)
    page.raise_request_exception = False

    with mock.patch("cases.selectors.case_list", side_effect=RuntimeError("a bug")):
        response = page.get("/cases/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "a bug" not in response.content.decode()
