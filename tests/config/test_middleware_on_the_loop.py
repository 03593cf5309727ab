"""Under ASGI an AI call's middleware run on the event loop: the only sync work handed to a
thread is the database's (the checks, the preparation, the record) and Django's own request
signals. Each thread hop costs more than the header-only hook it would run."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from asgiref import sync as asgiref_sync
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse

from accounts.models import User
from accounts.services import tokens_for
from tests.factories import PASSWORD
from tests.fake_llm import FakeLLM, Reply

pytestmark = pytest.mark.django_db(transaction=True)

# Django's request_started and request_finished signals, whose receivers are sync.
DJANGO_SIGNALS = {"Signal.asend.<locals>.sync_send", "HttpResponseBase.close"}


@pytest.fixture
def thread_hops(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    hops: Counter[str] = Counter()
    hand_over = asgiref_sync.SyncToAsync.__call__

    async def counted(self: asgiref_sync.SyncToAsync, *args: Any, **kwargs: Any) -> Any:
        hops[getattr(self.func, "__qualname__", repr(self.func))] += 1
        return await hand_over(self, *args, **kwargs)

    monkeypatch.setattr(asgiref_sync.SyncToAsync, "__call__", counted)
    return hops


def test_an_ai_call_hands_only_its_database_work_to_a_thread(
    fake_llm: FakeLLM, client_user: User, thread_hops: Counter[str]
) -> None:
    fake_llm.script(Reply(text="Yes, with the landlord's consent."))
    access = tokens_for(user=client_user, otp_verified=False)["access"]

    response = async_to_sync(AsyncClient().post)(
        reverse("ai-api:chat"),
        {"userId": client_user.pk, "message": "Can I sublet?"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {access}"},
    )

    assert response.status_code == 200
    # The first call of a pool thread also closes the connection it inherited.
    assert set(thread_hops) - DJANGO_SIGNALS - {"close_outside_transaction"} == {
        "APIView.initial",  # authentication and permissions
        "chat_prepare",
        "AICall._record_answer",
    }


def test_a_login_still_saves_its_session_in_a_thread(
    client_user: User, thread_hops: Counter[str]
) -> None:
    client = AsyncClient()

    response = async_to_sync(client.post)(
        reverse("accounts:login"), {"username": client_user.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert thread_hops["SessionMiddleware.process_response"] == 1
    assert async_to_sync(client.get)(reverse("cases:list")).status_code == 200
