"""Who may do what: every route of Counsel against every role, in one table.

A row names a route (as `django.urls` spells it), the methods it answers, how to build its URL
(and body) in the test firm of `tests.security.conftest`, and what each role gets:

- an HTTP status (200, 201, 302 to a page that is not a login, 401, 403, 404...);
- LOGIN: a redirect to the login page; SECURITY: a redirect to the security page, where
  staff enrol or pass their second factor (every page refuses staff without it).

The objects belong to `client` and to `lawyer` (assigned to the client's case); `client2` and
`lawyer2` have their own, so their 404s are what another user's object looks like. The
routes of the Django admin are not rows: `test_access_matrix` checks all of them by one rule
(verified firm admins only). A route that is neither a row nor the admin's fails the test, so
a new endpoint cannot go unchecked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.urls import reverse

from accounts.invitations import invitation_create
from accounts.models import User
from accounts.services import tokens_for
from cases.models import Case
from consultations.services import chat_question_park
from drafting.apis import inputs_on_the_wire
from tests.factories import PASSWORD
from tests.security.conftest import NDA, World, nda_csv, text_upload

LOGIN = "login"
SECURITY = "security"
ADMIN_LOGIN = "admin-login"

Outcome = int | str


class Access(NamedTuple):
    anonymous: Outcome
    client: Outcome
    client2: Outcome
    lawyer: Outcome
    lawyer2: Outcome
    admin: Outcome
    lawyer_no_otp: Outcome
    admin_no_otp: Outcome


@dataclass(frozen=True)
class Row:
    route: str
    methods: tuple[str, ...]
    url: Callable[[World], str]
    access: Access
    # The request's body for a caller (None when anonymous); pages post forms, APIs JSON.
    body: Callable[[World, User | None], dict[str, Any]] | None = None
    note: str = ""

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")


def _row(
    route: str,
    methods: str,
    url: Callable[[World], str],
    access: Access,
    body: Callable[[World, User | None], dict[str, Any]] | None = None,
    note: str = "",
) -> Row:
    return Row(route, tuple(methods.split()), url, access, body, note)


def _const(path: str) -> Callable[[World], str]:
    return lambda world: path


# --- bodies -----------------------------------------------------------------------------------


def case_form(world: World, user: User | None) -> dict[str, Any]:
    return {
        "title": "Boundary dispute",
        "practice_area": Case.PracticeArea.PROPERTY,
        "status": Case.Status.OPEN,
        "client": world.client.pk,
        "lawyers": [world.lawyer.pk],
        "description": "",
        "opposing_parties": "Ray Neighbour",
    }


def case_json(world: World, user: User | None) -> dict[str, Any]:
    return {
        "title": "Boundary dispute",
        "practiceArea": Case.PracticeArea.PROPERTY,
        "clientId": world.client.pk,
        "lawyerIds": [world.lawyer.pk],
    }


def _nda_form(world: World, user: User | None) -> dict[str, Any]:
    inputs = {name: str(value) for name, value in NDA.example_inputs.items()}
    return {**inputs, "tone": "neutral", "case": world.case.pk}


def _ask_form(world: World, user: User | None) -> dict[str, Any]:
    # Continues the lawyer's own conversation: anyone else's is a 404.
    return {
        "message": "What notice applies?",
        "case": "",
        "conversation": world.lawyer_conversation.pk,
    }


def chat_json(world: World, user: User | None) -> dict[str, Any]:
    caller = user or world.client
    return {
        "userId": caller.pk,
        "message": "Is the notice valid?",
        "context": {"caseId": world.case.pk},
    }


def generate_json(world: World, user: User | None) -> dict[str, Any]:
    return {
        "type": "nda",
        "inputs": inputs_on_the_wire(NDA.example_inputs),
        "context": {"caseId": world.case.pk},
    }


def _revise_form(world: World, user: User | None) -> dict[str, Any]:
    return {"text": world.draft.text + "\nAmended.", "action": "version"}


def _fix_form(world: World, user: User | None) -> dict[str, Any]:
    return {name: str(value) for name, value in NDA.example_inputs.items()}


def _batch_form(world: World, user: User | None) -> dict[str, Any]:
    return {"document_type": "nda", "case": "", "csv_file": nda_csv()}


def _login_json(world: World, user: User | None) -> dict[str, Any]:
    return {"username": world.client.username, "password": PASSWORD}


def _refresh_json(world: World, user: User | None) -> dict[str, Any]:
    return {"refresh": tokens_for(user=world.client, otp_verified=False)["refresh"]}


def _preferences_json(world: World, user: User | None) -> dict[str, Any]:
    return {"drafts": False, "deadlines": True, "budgets": True, "documents": True}


def _analyze_json(world: World, user: User | None) -> dict[str, Any]:
    return {"text": "The tenant may sublet.", "policy": "lease"}


def _stream_url(world: World) -> str:
    # Parked anew for every request: taking a parked question spends it.
    parked = chat_question_park(
        user=world.lawyer, message="And the deadline?", case=world.case, conversation=None
    )
    assert parked is not None, "the cache must keep the parked question"
    return reverse("consultations:stream", args=[parked.token])


def _diff_url(world: World) -> str:
    draft = world.draft.pk
    return reverse("drafting:diff", args=[draft]) + f"?old={draft}&new={draft}"


def _deadline_form(prefix: str) -> Callable[[World, User | None], dict[str, Any]]:
    def body(world: World, user: User | None) -> dict[str, Any]:
        fields = {"due_date": "2027-03-01", "kind": "filing", "responsible": world.lawyer.pk}
        return {f"{prefix}-{name}": value for name, value in fields.items()}

    return body


def _deadline_json(world: World, user: User | None) -> dict[str, Any]:
    return {"dueDate": "2027-03-01", "kind": "filing", "responsibleId": str(world.lawyer.pk)}


def _document_upload(world: World, user: User | None) -> dict[str, Any]:
    return {"file": text_upload()}


def _invitation_url(name: str) -> Callable[[World], str]:
    """The URL of route `name` for a new invitation the lawyer sent (each request its own)."""

    def url(world: World) -> str:
        invitation = invitation_create(
            actor=world.lawyer, email=f"invitee-{uuid.uuid4().hex}@example.org", role="client"
        )
        return reverse(name, args=[invitation.pk])

    return url


def _invite_form(world: World, user: User | None) -> dict[str, Any]:
    """A new address each time: asking for it is throttled per address."""
    return {"email": f"invitee-{uuid.uuid4().hex}@example.org", "role": "client"}


def _reset_json(world: World, user: User | None) -> dict[str, Any]:
    return {"email": _invite_form(world, user)["email"]}


# --- the matrix -------------------------------------------------------------------------------


def _of(name: str, attr: str) -> Callable[[World], str]:
    """The URL of route `name` for the world's object `attr` (its pk is the argument)."""
    return lambda world: reverse(name, args=[getattr(world, attr).pk])


A = Access
STAFF_PAGE = A(LOGIN, 403, 403, 200, 200, 200, SECURITY, SECURITY)
EVERYONE_PAGE = A(LOGIN, 200, 200, 200, 200, 200, SECURITY, SECURITY)
FIRM_ADMIN_PAGE = A(LOGIN, 403, 403, 403, 403, 200, SECURITY, SECURITY)
FIRM_ADMIN_CHANGE = A(LOGIN, 403, 403, 403, 403, 302, SECURITY, SECURITY)
LOGGED_IN_PAGE = A(LOGIN, 200, 200, 200, 200, 200, 200, 200)
PUBLIC = A(200, 200, 200, 200, 200, 200, 200, 200)
EVERYONE_API = A(401, 200, 200, 200, 200, 200, 401, 401)
# Objects of the client's case: the lawyer on it and the admin, not the second lawyer.
CASE_PAGE = A(LOGIN, 200, 404, 200, 404, 200, SECURITY, SECURITY)
# The lawyer's draft on the client's case: never shown to the client.
LAWYERS_DRAFT_PAGE = A(LOGIN, 404, 404, 200, 404, 200, SECURITY, SECURITY)
LAWYERS_DRAFT_CHANGE = A(LOGIN, 404, 404, 302, 404, 302, SECURITY, SECURITY)
LAWYERS_PAGE = A(LOGIN, 403, 403, 200, 404, 200, SECURITY, SECURITY)
LAWYERS_CHANGE = A(LOGIN, 403, 403, 302, 404, 302, SECURITY, SECURITY)
LAWYERS_OWN = A(LOGIN, 403, 403, 200, 404, 404, SECURITY, SECURITY)
# A document of the knowledge base: staff only, a client does not learn it exists.
KNOWLEDGE_BASE_PAGE = A(LOGIN, 404, 404, 200, 200, 200, SECURITY, SECURITY)
CLIENTS_CASE_API = A(401, 200, 404, 200, 404, 200, 401, 401)
FIRM_ADMIN_API = A(401, 403, 403, 403, 403, 200, 401, 401)
SCHEMA = A(200, 200, 200, 200, 200, 200, 401, 401)

# fmt: off
MATRIX: tuple[Row, ...] = (
    # route, methods, URL, then what each role gets:
    #     anonymous client client2 lawyer lawyer2 admin  lawyer_no_otp admin_no_otp
    # --- outside any login ------------------------------------------------------------------
    _row("", "GET POST PUT PATCH DELETE", _const("/"), A(*[302] * 8), note="to /cases/"),
    _row("healthz", "GET", _const("/healthz"), PUBLIC),
    _row("readyz", "GET", _const("/readyz"), PUBLIC),
    _row("metrics", "GET", _const("/metrics"), PUBLIC, note="from loopback: test_metrics"),
    # --- accounts pages ---------------------------------------------------------------------
    _row("accounts/login/", "GET POST", _const("/accounts/login/"), PUBLIC),
    _row("accounts/logout/", "POST", _const("/accounts/logout/"), A(*[LOGIN] * 8),
         note="ends any session"),
    _row("accounts/security/", "GET", _const("/accounts/security/"), LOGGED_IN_PAGE,
         note="where unverified staff enrol or verify"),
    _row("accounts/security/authenticator/", "POST",
         _const("/accounts/security/authenticator/"), LOGGED_IN_PAGE,
         note="refused in words once a device exists"),
    _row("accounts/security/authenticator/confirm/", "POST",
         _const("/accounts/security/authenticator/confirm/"), LOGGED_IN_PAGE,
         body=lambda world, user: {"token": "000000"}),
    _row("accounts/security/backup-codes/", "POST", _const("/accounts/security/backup-codes/"),
         A(LOGIN,  403, 403, 200, 200, 200, 403, 403),
         note="a verified session with an authenticator only"),
    _row("accounts/password_reset/", "GET", _const("/accounts/password_reset/"), PUBLIC),
    _row("accounts/password_reset/", "POST", _const("/accounts/password_reset/"),
         A(*[302] * 8), body=_invite_form, note="the same answer whoever asks, for any address"),
    _row("accounts/password_reset/done/", "GET", _const("/accounts/password_reset/done/"),
         PUBLIC),
    _row("accounts/reset/<uidb64>/<token>/", "GET POST PUT", _const("/accounts/reset/MQ/x-y/"),
         PUBLIC, note="a link that opens nothing says so (Django's form view: PUT is POST)"),
    _row("accounts/reset/done/", "GET", _const("/accounts/reset/done/"), PUBLIC),
    _row("accounts/invitation/<str:token>/", "GET POST", _const("/accounts/invitation/x/"),
         A(*[410] * 8), note="the link is the authority; an unknown one is gone"),
    # --- people and invitations (admins; a lawyer their own invitations) --------------------
    _row("accounts/people/", "GET", _const("/accounts/people/"), FIRM_ADMIN_PAGE),
    _row("accounts/people/<int:user_id>/", "GET", _of("accounts:person", "lawyer"),
         FIRM_ADMIN_PAGE),
    *(
        _row(f"accounts/people/<int:user_id>/{action}/", "POST",
             _of(f"accounts:person-{action}", "lawyer2"), FIRM_ADMIN_CHANGE,
             body=lambda world, user: {"role": "client"})
        for action in ("role", "deactivate", "reactivate", "second-factor-reset")
    ),
    _row("accounts/invitations/", "GET", _const("/accounts/invitations/"), FIRM_ADMIN_PAGE),
    _row("accounts/invitations/", "POST", _const("/accounts/invitations/"), FIRM_ADMIN_CHANGE,
         body=_invite_form),
    _row("accounts/invitations/<int:invitation_id>/resend/", "POST",
         _invitation_url("accounts:invitation-resend"),
         A(LOGIN, 404, 404, 302, 404, 302, SECURITY, SECURITY), note="the lawyer's own"),
    _row("accounts/invitations/<int:invitation_id>/revoke/", "POST",
         _invitation_url("accounts:invitation-revoke"),
         A(LOGIN, 404, 404, 302, 404, 302, SECURITY, SECURITY), note="the lawyer's own"),
    # --- cases pages ------------------------------------------------------------------------
    _row("cases/", "GET", _const("/cases/"), EVERYONE_PAGE),
    _row("cases/new/", "GET", _const("/cases/new/"), STAFF_PAGE),
    _row("cases/new/", "POST", _const("/cases/new/"),
         A(LOGIN,  403, 403, 302, 302, 302, SECURITY, SECURITY), body=case_form),
    _row("cases/<int:case_id>/", "GET", _of("cases:detail", "case"), CASE_PAGE),
    _row("cases/<int:case_id>/edit/", "GET", _of("cases:edit", "case"),
         A(LOGIN,  403, 404, 200, 404, 200, SECURITY, SECURITY)),
    _row("cases/<int:case_id>/edit/", "POST", _of("cases:edit", "case"),
         A(LOGIN,  403, 404, 302, 404, 302, SECURITY, SECURITY), body=case_form),
    _row("cases/<int:case_id>/invite-client/", "GET", _of("cases:invite-client", "case"),
         A(LOGIN,  403, 404, 200, 404, 200, SECURITY, SECURITY)),
    _row("cases/<int:case_id>/invite-client/", "POST", _of("cases:invite-client", "case"),
         A(LOGIN,  403, 404, 302, 404, 302, SECURITY, SECURITY), body=_invite_form,
         note="a lawyer only to a case they are on"),
    # --- deadlines pages --------------------------------------------------------------------
    _row("cases/<int:case_id>/deadlines/", "GET", _of("cases:deadlines", "case"), CASE_PAGE),
    _row("cases/<int:case_id>/deadlines/new", "GET", _of("cases:deadline-add", "case"),
         A(LOGIN,  403, 404, 200, 404, 200, SECURITY, SECURITY)),
    _row("cases/<int:case_id>/deadlines/new", "POST", _of("cases:deadline-add", "case"),
         A(LOGIN,  403, 404, 302, 404, 302, SECURITY, SECURITY), body=_deadline_form("new"),
         note="the client sees the case's deadlines but may not add one"),
    _row("cases/deadlines/<int:deadline_id>/edit", "GET", _of("cases:deadline-edit", "deadline"),
         A(LOGIN,  403, 404, 200, 404, 200, SECURITY, SECURITY)),
    _row("cases/deadlines/<int:deadline_id>/edit", "POST",
         _of("cases:deadline-edit", "deadline"),
         A(LOGIN,  403, 404, 302, 404, 302, SECURITY, SECURITY), body=_deadline_form("edit")),
    _row("cases/deadlines/<int:deadline_id>/complete", "POST",
         _of("cases:deadline-complete", "deadline"),
         A(LOGIN,  403, 404, 302, 404, 302, SECURITY, SECURITY)),
    _row("cases/deadlines/<int:deadline_id>/reopen", "POST",
         _of("cases:deadline-reopen", "deadline"),
         A(LOGIN,  403, 404, 302, 404, 302, SECURITY, SECURITY)),
    _row("cases/deadlines/<int:deadline_id>/delete", "POST",
         _of("cases:deadline-delete", "deadline"),
         A(LOGIN,  403, 404, 302, 404, 302, SECURITY, SECURITY)),
    _row("cases/my-deadlines/", "GET", _const("/cases/my-deadlines/"), STAFF_PAGE,
         note="the lawyer's own; an admin's is empty"),
    # --- documents pages --------------------------------------------------------------------
    _row("cases/<int:case_id>/documents/", "GET", _of("cases:documents", "case"), CASE_PAGE),
    _row("cases/<int:case_id>/documents/upload", "POST", _of("cases:documents-upload", "case"),
         A(LOGIN,  403, 404, 302, 404, 302, SECURITY, SECURITY), body=_document_upload,
         note="the client sees the case's documents but may not add one"),
    _row("cases/knowledge-base/", "GET", _const("/cases/knowledge-base/"),
         A(LOGIN,  404, 404, 200, 200, 200, SECURITY, SECURITY), note="staff only"),
    _row("cases/knowledge-base/upload", "POST", _const("/cases/knowledge-base/upload"),
         A(LOGIN,  404, 404, 403, 403, 302, SECURITY, SECURITY), body=_document_upload,
         note="admins only"),
    _row("cases/documents/<int:document_id>/", "GET", _of("cases:document", "document"),
         CASE_PAGE),
    _row("cases/documents/<int:document_id>/", "GET", _of("cases:document", "kb_document"),
         KNOWLEDGE_BASE_PAGE, note="the knowledge base's: staff only"),
    _row("cases/documents/<int:document_id>/download", "GET",
         _of("cases:document-download", "document"), CASE_PAGE),
    _row("cases/documents/<int:document_id>/download", "GET",
         _of("cases:document-download", "kb_document"), KNOWLEDGE_BASE_PAGE,
         note="the knowledge base's: staff only"),
    _row("cases/documents/<int:document_id>/delete", "GET",
         _of("cases:document-delete", "document"),
         A(LOGIN,  403, 404, 200, 404, 200, SECURITY, SECURITY), note="asks to confirm"),
    _row("cases/documents/<int:document_id>/delete", "POST",
         _of("cases:document-delete", "document"),
         A(LOGIN,  403, 404, 302, 404, 302, SECURITY, SECURITY),
         note="the client sees the case's document but may not delete it"),
    _row("cases/documents/<int:document_id>/delete", "GET",
         _of("cases:document-delete", "kb_document"),
         A(LOGIN,  404, 404, 403, 403, 200, SECURITY, SECURITY)),
    _row("cases/documents/<int:document_id>/delete", "POST",
         _of("cases:document-delete", "kb_document"),
         A(LOGIN,  404, 404, 403, 403, 302, SECURITY, SECURITY),
         note="the knowledge base's: admins only"),
    # --- the assistant's pages --------------------------------------------------------------
    _row("assistant/", "GET", _const("/assistant/"), STAFF_PAGE),
    _row("assistant/ask/", "POST", _const("/assistant/ask/"), LAWYERS_OWN, body=_ask_form,
         note="continues the lawyer's conversation: anyone else's is a 404"),
    _row("assistant/ask/stream/", "POST", _const("/assistant/ask/stream/"), LAWYERS_OWN,
         body=_ask_form),
    _row("assistant/stream/<str:token>/", "GET", _stream_url, LAWYERS_OWN,
         note="a question the lawyer parked streams to the lawyer only"),
    _row("assistant/cases/<int:case_id>/consultations", "GET",
         _of("consultations:case-panel", "case"), LAWYERS_PAGE),
    # --- drafting pages ---------------------------------------------------------------------
    # Everyone drafts one document, as through the API: on a case they may see, or none.
    _row("drafting/", "GET", _const("/drafting/"), EVERYONE_PAGE),
    _row("drafting/new/<slug:type_id>/", "GET", _const("/drafting/new/nda/"), EVERYONE_PAGE),
    _row("drafting/new/<slug:type_id>/", "POST", _const("/drafting/new/nda/"),
         A(LOGIN,  302, 200, 302, 200, 302, SECURITY, SECURITY), body=_nda_form,
         note="on the client's case: client2 and lawyer2 get the form back, no valid choice"),
    _row("drafting/new/<slug:type_id>/validate", "POST",
         _const("/drafting/new/nda/validate?field=party_a_name"), EVERYONE_PAGE, body=_nda_form),
    _row("drafting/types/<slug:type_id>/template.csv", "GET",
         _const("/drafting/types/nda/template.csv"), STAFF_PAGE),
    _row("drafting/drafts/", "GET", _const("/drafting/drafts/"), EVERYONE_PAGE),
    _row("drafting/drafts/<int:draft_id>/", "GET", _of("drafting:detail", "draft"),
         LAWYERS_DRAFT_PAGE),
    _row("drafting/drafts/<int:draft_id>/", "GET", _of("drafting:detail", "client_draft"),
         A(LOGIN,  200, 404, 404, 404, 404, SECURITY, SECURITY),
         note="the client's own, on no case: theirs alone"),
    _row("drafting/drafts/<int:draft_id>/status", "GET", _of("drafting:status", "draft"),
         LAWYERS_DRAFT_PAGE),
    _row("drafting/drafts/<int:draft_id>/approve", "POST", _of("drafting:approve", "draft"),
         LAWYERS_DRAFT_CHANGE),
    _row("drafting/drafts/<int:draft_id>/approve", "POST",
         _of("drafting:approve", "client_draft"),
         A(LOGIN,  302, 404, 404, 404, 404, SECURITY, SECURITY),
         note="the client's own: back to the page with a refusal, nothing approved"),
    _row("drafting/drafts/<int:draft_id>/revise", "POST", _of("drafting:revise", "draft"),
         LAWYERS_DRAFT_CHANGE, body=_revise_form),
    _row("drafting/drafts/<int:draft_id>/diff", "GET", _diff_url, LAWYERS_DRAFT_PAGE),
    _row("drafting/drafts/<int:draft_id>/fix", "GET", _of("drafting:fix", "failed_row"),
         LAWYERS_PAGE),
    _row("drafting/drafts/<int:draft_id>/fix", "POST", _of("drafting:fix", "failed_row"),
         LAWYERS_CHANGE, body=_fix_form),
    _row("drafting/cases/<int:case_id>/drafts", "GET", _of("drafting:case-panel", "case"),
         LAWYERS_PAGE),
    _row("drafting/batches/", "GET", _const("/drafting/batches/"), STAFF_PAGE),
    _row("drafting/batches/", "POST", _const("/drafting/batches/"),
         A(LOGIN,  403, 403, 302, 302, 302, SECURITY, SECURITY), body=_batch_form),
    _row("drafting/batches/<int:batch_id>/", "GET", _of("drafting:batch", "batch"),
         LAWYERS_PAGE),
    _row("drafting/batches/<int:batch_id>/progress", "GET",
         _of("drafting:batch-progress", "batch"), LAWYERS_PAGE),
    _row("drafting/batches/<int:batch_id>/retry", "POST", _of("drafting:batch-retry", "batch"),
         LAWYERS_CHANGE),
    _row("drafting/batches/<int:batch_id>/drafts.zip", "GET",
         _of("drafting:batch-zip", "batch"), LAWYERS_PAGE),
    # --- notifications ---------------------------------------------------------------------
    _row("notifications/", "GET", _const("/notifications/"), EVERYONE_PAGE),
    _row("notifications/", "POST", _const("/notifications/"),
         A(LOGIN,  302, 302, 302, 302, 302, SECURITY, SECURITY),
         body=lambda world, user: {"drafts": "on"}, note="the caller's own choices"),
    # --- API: accounts ----------------------------------------------------------------------
    _row("api/auth/login", "POST", _const("/api/auth/login"), PUBLIC, body=_login_json,
         note="the caller's own token plays no part"),
    _row("api/auth/refresh", "POST", _const("/api/auth/refresh"), PUBLIC, body=_refresh_json),
    _row("api/auth/logout", "POST", _const("/api/auth/logout"), A(*[204] * 8),
         body=_refresh_json, note="holding the refresh token is the authority"),
    _row("api/auth/me", "GET", _const("/api/auth/me"), EVERYONE_API),
    _row("api/auth/password-reset", "POST", _const("/api/auth/password-reset"), A(*[202] * 8),
         body=_reset_json),
    _row("api/auth/password-reset/confirm", "POST", _const("/api/auth/password-reset/confirm"),
         A(*[422] * 8), body=lambda world, user: {"uid": "MQ", "token": "x-y", "password": "p"},
         note="the link's token is the authority"),
    _row("api/auth/invitation/accept", "POST", _const("/api/auth/invitation/accept"),
         A(*[422] * 8), body=lambda world, user: {"token": "x", "password": "p"},
         note="the link's token is the authority"),
    _row("api/me/notifications", "GET", _const("/api/me/notifications"), EVERYONE_API),
    _row("api/me/notifications", "PUT", _const("/api/me/notifications"), EVERYONE_API,
         body=_preferences_json, note="the caller's own choices"),
    # --- API: cases -------------------------------------------------------------------------
    _row("api/cases", "GET", _const("/api/cases"), EVERYONE_API),
    _row("api/cases", "POST", _const("/api/cases"),
         A(401,    403, 403, 201, 201, 201, 401, 401), body=case_json),
    _row("api/cases/<int:case_id>", "GET", _of("cases-api:detail", "case"), CLIENTS_CASE_API),
    _row("api/cases/<int:case_id>", "PUT PATCH", _of("cases-api:detail", "case"),
         A(401,    403, 404, 200, 404, 200, 401, 401), body=case_json,
         note="the client reads their case but may not change it"),
    # --- API: deadlines ---------------------------------------------------------------------
    _row("api/cases/<int:case_id>/deadlines", "GET", _of("cases-api:case-deadlines", "case"),
         CLIENTS_CASE_API),
    _row("api/cases/<int:case_id>/deadlines", "POST", _of("cases-api:case-deadlines", "case"),
         A(401,    403, 404, 201, 404, 201, 401, 401), body=_deadline_json,
         note="the client sees the case's deadlines but may not add one"),
    _row("api/deadlines/<int:deadline_id>", "GET", _of("cases-api:deadline", "deadline"),
         CLIENTS_CASE_API),
    _row("api/deadlines/<int:deadline_id>", "PATCH", _of("cases-api:deadline", "deadline"),
         A(401,    403, 404, 200, 404, 200, 401, 401), body=_deadline_json),
    _row("api/deadlines/<int:deadline_id>", "DELETE", _of("cases-api:deadline", "deadline"),
         A(401,    403, 404, 204, 404, 204, 401, 401)),
    # --- API: documents ---------------------------------------------------------------------
    _row("api/cases/<int:case_id>/documents", "GET", _of("cases-api:case-documents", "case"),
         CLIENTS_CASE_API),
    _row("api/cases/<int:case_id>/documents", "POST", _of("cases-api:case-documents", "case"),
         A(401,    403, 404, 201, 404, 201, 401, 401), body=_document_upload,
         note="the client sees the case's documents but may not add one"),
    _row("api/knowledge-base/documents", "GET", _const("/api/knowledge-base/documents"),
         A(401,    403, 403, 200, 200, 200, 401, 401), note="staff only"),
    _row("api/knowledge-base/documents", "POST", _const("/api/knowledge-base/documents"),
         A(401,    403, 403, 403, 403, 201, 401, 401), body=_document_upload,
         note="admins only"),
    _row("api/documents/<int:document_id>", "GET", _of("cases-api:document", "document"),
         CLIENTS_CASE_API),
    _row("api/documents/<int:document_id>", "DELETE", _of("cases-api:document", "document"),
         A(401,    403, 404, 204, 404, 204, 401, 401),
         note="the client sees the case's document but may not delete it"),
    _row("api/documents/<int:document_id>", "GET", _of("cases-api:document", "kb_document"),
         A(401,    404, 404, 200, 200, 200, 401, 401), note="the knowledge base's: staff only"),
    _row("api/documents/<int:document_id>", "DELETE",
         _of("cases-api:document", "kb_document"),
         A(401,    404, 404, 403, 403, 204, 401, 401), note="the knowledge base's: admins only"),
    _row("api/documents/<int:document_id>/download", "GET",
         _of("cases-api:document-download", "document"), CLIENTS_CASE_API),
    _row("api/documents/<int:document_id>/download", "GET",
         _of("cases-api:document-download", "kb_document"),
         A(401,    404, 404, 200, 200, 200, 401, 401), note="the knowledge base's: staff only"),
    # --- API: the AI contract ---------------------------------------------------------------
    _row("api/ai/chat", "POST", _const("/api/ai/chat"), CLIENTS_CASE_API, body=chat_json,
         note="about the client's case"),
    _row("api/ai/analyze", "POST", _const("/api/ai/analyze"), EVERYONE_API, body=_analyze_json),
    _row("api/ai/consultations", "GET", _const("/api/ai/consultations"), EVERYONE_API),
    _row("api/ai/consultations/<int:consultation_id>", "GET",
         _of("ai-api:consultation", "consultation"),
         A(401,    404, 404, 200, 404, 200, 401, 401),
         note="the lawyer's, on the client's case: staff on the case, not the client"),
    _row("api/ai/consultations/<int:consultation_id>", "GET",
         _of("ai-api:consultation", "client_consultation"),
         A(401,    200, 404, 404, 404, 200, 401, 401),
         note="the client's own, on no case: theirs, and the admin's as in the audit"),
    _row("api/ai/conversations", "GET", _const("/api/ai/conversations"), EVERYONE_API),
    _row("api/ai/conversations/<int:conversation_id>", "GET",
         _of("ai-api:conversation", "conversation"), CLIENTS_CASE_API,
         note="the client's, on their case"),
    _row("api/ai/conversations/<int:conversation_id>", "GET",
         _of("ai-api:conversation", "lawyer_conversation"),
         A(401,    404, 404, 200, 404, 404, 401, 401),
         note="the lawyer's, on no case: theirs alone, not even the admin's"),
    _row("api/ai/generate-document", "POST", _const("/api/ai/generate-document"),
         CLIENTS_CASE_API, body=generate_json, note="on the client's case"),
    _row("api/ai/drafts/<int:draft_id>", "GET", _of("drafting-api:draft", "draft"),
         A(401,    404, 404, 200, 404, 200, 401, 401),
         note="the lawyer's, on the client's case: not shown to the client"),
    _row("api/ai/drafts/<int:draft_id>", "GET", _of("drafting-api:draft", "client_draft"),
         A(401,    200, 404, 404, 404, 404, 401, 401),
         note="the client's own, on no case: theirs alone"),
    _row("api/ai/document-types", "GET", _const("/api/ai/document-types"), EVERYONE_API),
    # --- API: the operator's ----------------------------------------------------------------
    _row("api/admin/cache/stats", "GET", _const("/api/admin/cache/stats"), FIRM_ADMIN_API),
    _row("api/admin/cache/invalidate", "POST", _const("/api/admin/cache/invalidate"),
         FIRM_ADMIN_API, body=lambda world, user: {"kind": "chat"}),
    # --- API: the schema (it describes the contract and holds no data) ----------------------
    _row("api/schema/", "GET", _const("/api/schema/"), SCHEMA),
    _row("api/docs/", "GET", _const("/api/docs/"), SCHEMA),
    # What the `type` of an error means: public, like the errors themselves.
    _row("api/problems/<slug:slug>", "GET", _const("/api/problems/validation"), PUBLIC),
)
# fmt: on
