"""The case pages (list, detail, create, edit), a case's deadlines (added, changed, completed,
reopened and deleted inline on the case page; a lawyer's own on "My deadlines"), and the
document pages: a case's documents and the knowledge base's (list, upload, delete), a
document's text page by page, its download.

Who may see a case sees its documents (`selectors.documents_visible_to`); the knowledge base is
for staff, a client gets a 404. Uploading and deleting are for staff who may change the case,
and for admins in the knowledge base (`selectors.document_can_change`); anyone else gets a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import verified_login_required
from accounts.http import HtmxHttpRequest
from accounts.invitations import invitation_pending_to_manage
from cases import deadlines, selectors, services
from cases.documents import (
    document_access_record,
    document_upload,
    document_upload_allowed,
)
from cases.documents import (
    document_delete as document_delete_service,
)
from cases.downloads import document_download_response
from cases.forms import CaseFilterForm, CaseForm, ClientInvitationForm, DeadlineForm
from cases.models import Case, Deadline, Document, DocumentAccess
from cases.panels import case_panels
from cases.uploads import ACCEPTED, UploadRefused
from config.request_ids import request_id_for

PAGE_SIZE = 25
# The case page's search of its documents: the best passages shown, and the longest query read.
PASSAGES_FOUND = 20
QUERY_MAX_LENGTH = 200
# A page showing a document in one of these states polls until it is ready or has failed.
BEING_READ = (Document.Status.QUEUED, Document.Status.EXTRACTING)


def _inline_validation(request: HtmxHttpRequest, form: CaseForm) -> HttpResponse | None:
    """When a field changes (a text field: as the user leaves it), htmx posts the whole form
    with `?validate=<field>`; the answer is that field again with its errors, nothing saved."""
    name = request.GET.get("validate", "")
    if not (request.htmx and name in form.fields):
        return None
    return render(request, "cases/case_form.html#field", {"field": form[name]})


@require_GET
@vary_on_headers("HX-Request")
@verified_login_required
def case_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = CaseFilterForm(request.GET, user=request.user)
    filters.is_valid()  # an invalid filter is left out of the query; the form says why
    cases = selectors.case_list(user=request.user, **filters.cleaned_data)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "cases/case_list.html"
    # A history restore (back button after the cache is gone) needs the whole page.
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        template += "#case-table"
    context = {
        "filters": filters,
        "page": page,
        "can_create": selectors.case_can_create(request.user),
    }
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
@verified_login_required
def case_detail(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    """The case; `?q=` searches its documents (htmx: only the results are sent)."""
    case = selectors.case_get_visible(user=request.user, case_id=case_id)
    query = request.GET.get("q", "")[:QUERY_MAX_LENGTH].strip()
    found = (
        selectors.passages_found(user=request.user, case=case, query=query, limit=PASSAGES_FOUND)
        if query
        else None
    )
    context = {"case": case, "query": query, "found": found}
    if request.htmx and "q" in request.GET and not request.htmx.history_restore_request:
        return render(request, "cases/case_detail.html#document-search-results", context)
    # The registered panels (AI consultations, drafts) are staff tools.
    panels = case_panels() if request.user.is_staff_member else []
    context |= {
        "can_edit": selectors.case_can_edit(request.user, case),
        "client_invitation": invitation_pending_to_manage(actor=request.user, user=case.client),
        "panels": [(panel.title, panel.url(case.pk)) for panel in panels],
        **_documents_context(request, case),
        **_deadlines_context(request, case),
    }
    return render(request, "cases/case_detail.html", context)


@require_http_methods(["GET", "POST"])
@verified_login_required
def case_create(request: HtmxHttpRequest) -> HttpResponse:
    if not selectors.case_can_create(request.user):
        raise PermissionDenied
    form = CaseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if response := _inline_validation(request, form):
            return response
        if form.is_valid():
            case = services.case_create(created_by=request.user, **form.cleaned_data)
            messages.success(request, f"Case {case.reference} opened.")
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "cases/case_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@verified_login_required
def case_edit(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_visible(user=request.user, case_id=case_id)
    if not selectors.case_can_edit(request.user, case):
        raise PermissionDenied
    form = CaseForm(request.POST if request.method == "POST" else None, instance=case)
    if request.method == "POST":
        if response := _inline_validation(request, form):
            return response
        if form.is_valid():
            services.case_update(case=case, actor=request.user, **form.cleaned_data)
            messages.success(request, f"Case {case.reference} saved.")
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "cases/case_form.html", {"form": form, "case": case})


@require_http_methods(["GET", "POST"])
@verified_login_required
def case_client_invite(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_visible(user=request.user, case_id=case_id)
    if not selectors.case_can_edit(request.user, case):
        raise PermissionDenied
    form = ClientInvitationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            invitation = services.case_client_invite(
                case=case, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Invitation sent to {invitation.user.email}, now the client of this case."
            )
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "cases/client_invite.html", {"form": form, "case": case})


# --- Deadlines ------------------------------------------------------------------------------


def _deadlines_context(
    request: HtmxHttpRequest,
    case: Case,
    *,
    add_form: DeadlineForm | None = None,
    editing: Deadline | None = None,
    edit_form: DeadlineForm | None = None,
) -> dict[str, Any]:
    """What the case page's deadlines block needs; `editing` is shown as `edit_form`."""
    can_edit = selectors.case_can_edit(request.user, case)
    return {
        "case": case,
        "deadlines": selectors.deadlines_of_case(user=request.user, case=case),
        "can_edit_deadlines": can_edit,
        "add_form": (add_form or DeadlineForm(case=case, prefix="new")) if can_edit else None,
        "editing": editing,
        "edit_form": edit_form,
    }


def _deadlines_done(request: HtmxHttpRequest, case: Case, message: str) -> HttpResponse:
    """After a change: htmx gets the block anew, a browser without it the case page."""
    if request.htmx:
        return render(request, "cases/_deadlines.html", _deadlines_context(request, case))
    messages.success(request, message)
    return redirect(reverse("cases:detail", kwargs={"case_id": case.pk}) + "#deadlines")


def _deadline_saved(form: DeadlineForm, save: Callable[..., Deadline]) -> bool:
    """`save(**cleaned_data)` when the form is valid; a rule the service refuses (the
    responsible lawyer left the case meanwhile) becomes the form's field error."""
    if not form.is_valid():
        return False
    try:
        save(**form.cleaned_data)
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    return True


def _deadline_to_change(request: HtmxHttpRequest, deadline_id: int) -> Deadline:
    deadline = selectors.deadline_get_visible(user=request.user, deadline_id=deadline_id)
    if not selectors.case_can_edit(request.user, deadline.case):
        raise PermissionDenied
    return deadline


@require_GET
@verified_login_required
def deadline_list(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    """The case page's deadlines block alone (htmx: cancelling an edit)."""
    case = selectors.case_get_visible(user=request.user, case_id=case_id)
    return render(request, "cases/_deadlines.html", _deadlines_context(request, case))


@require_http_methods(["GET", "POST"])
@verified_login_required
def deadline_add(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    """Without JavaScript a page of its own; with htmx the form is on the case page, and an
    invalid one comes back in the block with its field errors."""
    case = selectors.case_get_visible(user=request.user, case_id=case_id)
    if not selectors.case_can_edit(request.user, case):
        raise PermissionDenied
    form = DeadlineForm(request.POST if request.method == "POST" else None, case=case, prefix="new")
    if request.method == "POST":
        save = partial(deadlines.deadline_create, actor=request.user, case=case)
        if _deadline_saved(form, save):
            return _deadlines_done(request, case, "Deadline added.")
        if request.htmx:
            context = _deadlines_context(request, case, add_form=form)
            return render(request, "cases/_deadlines.html", context)
    return render(request, "cases/deadline_form.html", {"case": case, "form": form})


@require_http_methods(["GET", "POST"])
@verified_login_required
def deadline_edit(request: HtmxHttpRequest, deadline_id: int) -> HttpResponse:
    """With htmx the deadline's row turns into its form, inside the case page's block."""
    deadline = _deadline_to_change(request, deadline_id)
    case = deadline.case
    data = request.POST if request.method == "POST" else None
    form = DeadlineForm(data, instance=deadline, case=case, prefix="edit")
    if request.method == "POST":
        save = partial(deadlines.deadline_update, actor=request.user, deadline=deadline)
        if _deadline_saved(form, save):
            return _deadlines_done(request, case, "Deadline saved.")
    if request.htmx:
        context = _deadlines_context(request, case, editing=deadline, edit_form=form)
        return render(request, "cases/_deadlines.html", context)
    context = {"case": case, "form": form, "deadline": deadline}
    return render(request, "cases/deadline_form.html", context)


@require_POST
@verified_login_required
def deadline_complete(request: HtmxHttpRequest, deadline_id: int) -> HttpResponse:
    deadline = _deadline_to_change(request, deadline_id)
    deadlines.deadline_complete(actor=request.user, deadline=deadline)
    return _deadlines_done(request, deadline.case, "Deadline completed.")


@require_POST
@verified_login_required
def deadline_reopen(request: HtmxHttpRequest, deadline_id: int) -> HttpResponse:
    deadline = _deadline_to_change(request, deadline_id)
    deadlines.deadline_reopen(actor=request.user, deadline=deadline)
    return _deadlines_done(request, deadline.case, "Deadline reopened.")


@require_POST
@verified_login_required
def deadline_delete(request: HtmxHttpRequest, deadline_id: int) -> HttpResponse:
    deadline = _deadline_to_change(request, deadline_id)
    case = deadline.case
    deadlines.deadline_delete(actor=request.user, deadline=deadline)
    return _deadlines_done(request, case, "Deadline deleted.")


@require_GET
@verified_login_required
def my_deadlines(request: HtmxHttpRequest) -> HttpResponse:
    """The open deadlines the lawyer is responsible for, due in the next 14 days, overdue
    ones first."""
    if not request.user.is_staff_member:
        raise PermissionDenied
    context = {
        "deadlines": selectors.deadlines_upcoming(user=request.user),
        "days": selectors.UPCOMING_DAYS,
    }
    return render(request, "cases/my_deadlines.html", context)


# --- Documents ------------------------------------------------------------------------------


def _documents_home(case: Case | None) -> str:
    if case is None:
        return reverse("cases:knowledge-base")
    return reverse("cases:detail", kwargs={"case_id": case.pk})


def _documents_context(request: HtmxHttpRequest, case: Case | None) -> dict[str, Any]:
    """What the document table and the upload form of a case (None: the knowledge base) need."""
    can_change = selectors.document_can_change(request.user, Document(case=case))
    if case is None:
        list_url, upload_url = reverse("cases:knowledge-base"), reverse("cases:kb-upload")
    else:
        list_url = reverse("cases:documents", kwargs={"case_id": case.pk})
        upload_url = reverse("cases:documents-upload", kwargs={"case_id": case.pk})
    documents = list(selectors.documents_listed(user=request.user, case=case))
    return {
        "documents": documents,
        "being_read": any(document.status in BEING_READ for document in documents),
        "can_change_documents": can_change,
        "documents_url": list_url,
        "upload_url": upload_url if can_change else "",
        "accepted": ACCEPTED,
        "max_bytes": settings.DOCUMENT_MAX_BYTES,
    }


def _upload(request: HtmxHttpRequest, case: Case | None) -> HttpResponse:
    """Each posted file through `document_upload`: a refused file is reported with its reason
    and the others are still uploaded. The page's script posts one file per request and shows
    the answer's outcome beside that file's progress bar; a form posted without it comes back
    to the page with the outcomes as messages."""
    document_upload_allowed(user=request.user, case=case)
    request_id = request_id_for(request)
    outcomes: list[tuple[str, str]] = []  # (file name, why it was refused or "")
    for file in request.FILES.getlist("file"):
        try:
            document_upload(user=request.user, case=case, file=file, request_id=request_id)
        except UploadRefused as exc:
            outcomes.append((file.name, exc.detail))
        else:
            outcomes.append((file.name, ""))
    refused = not outcomes or any(reason for _, reason in outcomes)
    if request.htmx:
        context = {"outcomes": outcomes}
        return render(
            request, "cases/_upload_results.html", context, status=400 if refused else 201
        )
    if not outcomes:
        messages.error(request, "Choose one or more files to upload.")
    for name, reason in outcomes:
        if reason:
            messages.error(request, f"{name} was not uploaded: {reason}")
        else:
            messages.success(request, f"{name} uploaded.")
    return redirect(_documents_home(case))


@require_GET
@verified_login_required
def document_list(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    """The case page's document table alone: polled while a document is being read, and
    fetched again after an upload."""
    case = selectors.case_get_visible(user=request.user, case_id=case_id)
    return render(request, "cases/_documents.html", _documents_context(request, case))


@require_POST
@verified_login_required
def documents_upload(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_visible(user=request.user, case_id=case_id)
    return _upload(request, case)


@require_GET
@vary_on_headers("HX-Request")
@verified_login_required
def knowledge_base(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.is_staff_member:
        raise Http404("No such page.")
    context = _documents_context(request, None)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "cases/_documents.html", context)
    return render(request, "cases/knowledge_base.html", context)


@require_POST
@verified_login_required
def knowledge_base_upload(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.is_staff_member:
        raise Http404("No such page.")
    return _upload(request, None)


@require_GET
@vary_on_headers("HX-Request")
@verified_login_required
def document_detail(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """The document's text page by page (`#page-N`, `#passage-N`: what citations link to).
    While it is being read, htmx polls the body alone, which is not a new view of it."""
    document = selectors.document_get_visible(user=request.user, document_id=document_id)
    context = {
        "document": document,
        "passages": document.passages.order_by("position"),
        "being_read": document.status in BEING_READ,
        "can_change": selectors.document_can_change(request.user, document),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "cases/document_detail.html#document-body", context)
    document_access_record(
        user=request.user,
        document=document,
        action=DocumentAccess.Action.VIEW,
        request_id=request_id_for(request),
    )
    return render(request, "cases/document_detail.html", context)


@require_GET
@verified_login_required
def document_download(request: HtmxHttpRequest, document_id: int) -> FileResponse:
    document = selectors.document_get_visible(user=request.user, document_id=document_id)
    return document_download_response(
        user=request.user, document=document, request_id=request_id_for(request)
    )


@require_http_methods(["GET", "POST"])
@verified_login_required
def document_delete(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """GET asks to confirm (the page without JavaScript; htmx asks in a dialog and posts)."""
    document = selectors.document_get_visible(user=request.user, document_id=document_id)
    if not selectors.document_can_change(request.user, document):
        raise PermissionDenied
    if request.method == "GET":
        return render(request, "cases/document_delete.html", {"document": document})
    case, title = document.case, document.title
    document_delete_service(
        user=request.user, document=document, request_id=request_id_for(request)
    )
    if request.htmx:
        return render(request, "cases/_documents.html", _documents_context(request, case))
    messages.success(request, f"{title} deleted.")
    return redirect(_documents_home(case))
