"""The firm every access test runs in: two users of each role, and objects that belong to the
first of each pair, so that the second one shows what "another's object" looks like."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.base import BaseHandler
from django.db import transaction
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.services import tokens_for
from cases.documents import document_upload
from cases.models import Case, Deadline, Document
from consultations.models import Consultation, Conversation
from consultations.services import conversation_start
from drafting.batches import batch_create_from_csv
from drafting.doctypes import DOCUMENT_TYPES
from drafting.models import Draft, DraftBatch
from drafting.services import draft_generate, draft_request
from tests.factories import (
    AdminFactory,
    CaseFactory,
    ClientFactory,
    DeadlineFactory,
    LawyerFactory,
    TOTPDeviceFactory,
)

NDA = DOCUMENT_TYPES["nda"]
# As tests/conftest.py's autouse fixture, which a module-scoped fixture runs before.
_FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The columns of the access matrix. The "_no_otp" roles are the lawyer and the admin
# themselves, logged in (page session or JWT) without passing their second factor.
ROLES = (
    "anonymous",
    "client",
    "client2",
    "lawyer",
    "lawyer2",
    "admin",
    "lawyer_no_otp",
    "admin_no_otp",
)
# Not a column: a lawyer on the case whose account was deactivated after logging in.
DEACTIVATED = "deactivated"
# Not a column: the admin, with an access token past its expiry (in a browser, nobody).
EXPIRED = "expired"


def nda_csv(**changes: str) -> io.BytesIO:
    """A one-row NDA batch file; `changes` overrides the example's values."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(NDA.fields_by_name))
    writer.writeheader()
    writer.writerow({**{k: str(v) for k, v in NDA.example_inputs.items()}, **changes})
    upload = io.BytesIO(buffer.getvalue().encode())
    upload.name = "rows.csv"
    return upload


@dataclass
class World:
    client: User
    client2: User
    lawyer: User
    lawyer2: User
    admin: User
    gone: User  # a lawyer on `case`, deactivated after logging in
    case: Case  # client's, with lawyer (and gone) assigned
    case2: Case  # client2's, with lawyer2 assigned
    conversation: Conversation  # client's, about `case`
    lawyer_conversation: Conversation  # lawyer's, about no case
    draft: Draft  # drafted by lawyer on `case`
    client_draft: Draft  # drafted by the client, on no case
    consultation: Consultation  # the AI call of `draft`: the lawyer's, on `case`
    client_consultation: Consultation  # the AI call of `client_draft`: the client's, no case
    batch: DraftBatch  # lawyer's, on `case`, with one failed row
    failed_row: Draft
    document: Document  # uploaded by lawyer to `case`
    kb_document: Document  # in the knowledge base, uploaded by admin
    deadline: Deadline  # on `case`, lawyer responsible
    pages: dict[str, Client] = field(default_factory=dict)
    apis: dict[str, APIClient] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        if role == "anonymous":
            return None
        if role == DEACTIVATED:
            return self.gone
        if role == EXPIRED:
            return self.admin
        return getattr(self, role.removesuffix("_no_otp"))


@functools.cache
def _handler(client_class: type[Client], enforce_csrf_checks: bool) -> BaseHandler:
    return client_class(enforce_csrf_checks=enforce_csrf_checks).handler


def _sharing_handler(client: Client) -> Client:
    # Loading the middleware costs a tenth of a second (WhiteNoise reads the static folder),
    # and a firm holds eighteen clients: they share one loaded handler per kind.
    client.handler = _handler(type(client), client.handler.enforce_csrf_checks)
    return client


def page_client(
    user: User | None, *, verified: bool = True, enforce_csrf_checks: bool = False
) -> Client:
    """A browser logged in as `user`, with a session that passed the second factor when
    `verified` (the user's one device) and the user is staff."""
    page = _sharing_handler(Client(enforce_csrf_checks=enforce_csrf_checks))
    if user is not None:
        page.force_login(user)
        if verified and user.is_staff_member:
            session = page.session
            session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id
            session.save()
    return page


def api_client(user: User | None, *, verified: bool = True) -> APIClient:
    """An API caller with the JWT of `user`, carrying the otp claim when `verified` and the
    user is staff."""
    api = _sharing_handler(APIClient())
    if user is not None:
        access = tokens_for(user=user, otp_verified=verified and user.is_staff_member)["access"]
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api


def expired_api_client(user: User) -> APIClient:
    """An API caller whose access token, otherwise the user's full one, expired a minute ago."""
    api = _sharing_handler(APIClient())
    token = AccessToken(tokens_for(user=user, otp_verified=user.is_staff_member)["access"])
    token.set_exp(lifetime=-timedelta(minutes=1))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def text_upload(name: str = "notes.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"The tenant may terminate on three months' notice.")


def _drafted(author: User, case: Case | None) -> Draft:
    draft = draft_request(author=author, type_id="nda", inputs=dict(NDA.example_inputs), case=case)
    return async_to_sync(draft_generate)(draft_id=draft.pk, request_id="access-test")


def _firm() -> World:
    client, client2 = ClientFactory(), ClientFactory()
    lawyer, lawyer2, gone = LawyerFactory(), LawyerFactory(), LawyerFactory()
    admin = AdminFactory()
    for staff in (lawyer, lawyer2, gone, admin):
        TOTPDeviceFactory(user=staff)
    case = CaseFactory(client=client, lawyers=[lawyer, gone])
    case2 = CaseFactory(client=client2, lawyers=[lawyer2])
    batch = batch_create_from_csv(
        author=lawyer, type_id="nda", csv_file=nda_csv(effective_date="not a date"), case=case
    )
    draft, client_draft = _drafted(lawyer, case), _drafted(client, None)
    world = World(
        client=client,
        client2=client2,
        lawyer=lawyer,
        lawyer2=lawyer2,
        admin=admin,
        gone=gone,
        case=case,
        case2=case2,
        conversation=conversation_start(user=client, case=case, first_question="Notice?"),
        lawyer_conversation=conversation_start(user=lawyer, case=None, first_question="Terms?"),
        draft=draft,
        client_draft=client_draft,
        consultation=draft.consultation,
        client_consultation=client_draft.consultation,
        batch=batch,
        failed_row=batch.drafts.get(),
        document=document_upload(
            user=lawyer, case=case, file=text_upload("lease.txt"), request_id="access-test"
        ),
        kb_document=document_upload(
            user=admin, case=None, file=text_upload("policy.txt"), request_id="access-test"
        ),
        deadline=DeadlineFactory(case=case, responsible=lawyer),
    )
    for role in ROLES:
        verified = not role.endswith("_no_otp")
        world.pages[role] = page_client(world.user(role), verified=verified)
        world.apis[role] = api_client(world.user(role), verified=verified)
    world.pages[DEACTIVATED] = page_client(gone, verified=True)
    world.pages[EXPIRED] = page_client(None)
    world.apis[EXPIRED] = expired_api_client(admin)
    world.apis[DEACTIVATED] = api_client(gone, verified=True)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    return world


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The firm, built once per test module inside a transaction rolled back at its end.

    Each test runs in a savepoint of that transaction (pytest-django's django_db), so no test
    sees another's changes; tests must re-read objects rather than change them in memory.
    """
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
    try:
        with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=_FAST_HASHERS):
            firm = _firm()
        yield firm
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
