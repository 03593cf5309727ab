"""The pages of drafting: choose a type, fill in its form, follow the job, review the draft
(approve, correct, new versions, differences), and batches drafted from a CSV file.

Everyone drafts one document at a time, by the same rules as `POST /api/ai/generate-document`
(`draft_case_allowed`: a client on their own cases or on none) and reads the drafts
`drafts_visible_to` shows them; reviewing is for lawyers and admins, and batches, their CSV
template and the case page's panel are staff pages (a client gets 403). A draft, batch or case
the user may not see is a 404. The pages call the services of drafting.services,
drafting.review and drafting.batches.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from accounts.decorators import verified_login_required
from accounts.models import User
from cases.selectors import case_get_visible
from config.errors import DomainError
from consultations.apis import request_id_for
from consultations.ratelimit import RateLimited, rate_limit_request
from drafting import batches, review
from drafting.doctypes import DOCUMENT_TYPES, DocumentType, UnknownDocumentType, get_document_type
from drafting.forms import BatchUploadForm, DocumentTypeForm, GenerateForm
from drafting.models import Draft, DraftBatch
from drafting.selectors import draft_get_visible, drafts_visible_to
from drafting.services import DraftInvalid, draft_request, draft_schedule

PAGE_SIZE = 25
PANEL_SIZE = 20


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User


def _require_staff(user: User) -> None:
    if not user.is_staff_member:
        raise PermissionDenied


def _type_or_404(type_id: str) -> DocumentType:
    try:
        return get_document_type(type_id)
    except UnknownDocumentType:
        raise Http404("No such document type.") from None


def _draft_or_404(user: User, draft_id: int) -> Draft:
    return draft_get_visible(user=user, draft_id=draft_id)


def _batch_or_404(user: User, batch_id: int) -> DraftBatch:
    _require_staff(user)
    return batches.batch_get_visible(user=user, batch_id=batch_id)


def _add_input_errors(form: DocumentTypeForm, exc: DraftInvalid) -> None:
    """A service's verdict on a form the page found valid (a race, a model rule)."""
    errors = {**exc.errors.get("inputs", {}), **exc.errors}
    errors.pop("inputs", None)
    for name, problems in errors.items():
        form.add_error(name if name in form.fields else None, problems)


# --- Drafting one document ------------------------------------------------------------------


@require_GET
@verified_login_required
def type_list(request: HtmxHttpRequest) -> HttpResponse:
    context = {"document_types": DOCUMENT_TYPES.values(), "case_id": request.GET.get("case", "")}
    return render(request, "drafting/type_list.html", context)


@require_http_methods(["GET", "POST"])
@verified_login_required
def draft_new(request: HtmxHttpRequest, type_id: str) -> HttpResponse:
    doc = _type_or_404(type_id)
    if request.method == "GET":
        initial = {"case": request.GET.get("case")}
        form = GenerateForm(document_type=doc, user=request.user, initial=initial)
        return render(request, "drafting/draft_form.html", {"form": form, "document_type": doc})
    form = GenerateForm(request.POST, document_type=doc, user=request.user)
    if form.is_valid():
        try:
            async_to_sync(rate_limit_request)(
                scope="generate-document", request=request, user=request.user
            )
            draft = draft_request(
                author=request.user,
                type_id=doc.id,
                inputs=form.inputs,
                tone=form.cleaned_data["tone"],
                case=form.cleaned_data["case"],
            )
        except RateLimited as exc:
            form.add_error(None, exc.detail)
        except DraftInvalid as exc:
            _add_input_errors(form, exc)
        else:
            draft_schedule(draft_id=draft.pk, request_id=request_id_for(request))
            return redirect("drafting:detail", draft_id=draft.pk)
    return render(request, "drafting/draft_form.html", {"form": form, "document_type": doc})


@require_POST
@verified_login_required
def field_validate(request: HtmxHttpRequest, type_id: str) -> HttpResponse:
    """A field of the type's form, checked: htmx posts the whole form when one field changes
    and swaps in that field with its errors. Nothing is saved."""
    doc = _type_or_404(type_id)
    form = GenerateForm(request.POST, document_type=doc, user=request.user)
    name = request.GET.get("field", "")
    if name not in form.fields:
        return HttpResponseBadRequest("Unknown field.")
    form.is_valid()
    context = {"field": form[name], "document_type": doc}
    return render(request, "drafting/draft_form.html#field", context)


@require_GET
@verified_login_required
def draft_detail(request: HtmxHttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft_or_404(request.user, draft_id)
    return render(request, "drafting/draft_detail.html", _detail_context(request, draft))


def _detail_context(request: HtmxHttpRequest, draft: Draft, **extra: Any) -> dict[str, Any]:
    versions = review.draft_versions(draft, viewer=request.user)
    return {
        "draft": draft,
        "document_type": DOCUMENT_TYPES.get(draft.document_type),
        "versions": versions,
        "can_review": review.draft_can_review(user=request.user, draft=draft),
        "can_approve": review.draft_can_approve(user=request.user, draft=draft),
        "compare_old": versions[-2].pk if len(versions) > 1 else None,
        "compare_new": versions[-1].pk,
        **extra,
    }


@require_GET
@verified_login_required
def draft_status(request: HtmxHttpRequest, draft_id: int) -> HttpResponse:
    """The part of the draft page that follows the job: polled every second while the draft
    is queued or running; the answer for a finished draft stops the polling."""
    draft = _draft_or_404(request.user, draft_id)
    context = {
        "draft": draft,
        "can_review": review.draft_can_review(user=request.user, draft=draft),
        "can_approve": review.draft_can_approve(user=request.user, draft=draft),
    }
    return render(request, "drafting/draft_detail.html#status", context)


@require_POST
@verified_login_required
def draft_approve(request: HtmxHttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft_or_404(request.user, draft_id)
    try:
        review.draft_approve(draft=draft, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Version {draft.version} approved.")
    return redirect("drafting:detail", draft_id=draft.pk)


@require_POST
@verified_login_required
def draft_revise(request: HtmxHttpRequest, draft_id: int) -> HttpResponse:
    """Save the edited text: in place ("save") or as a new version ("version")."""
    draft = _draft_or_404(request.user, draft_id)
    text = request.POST.get("text", "")
    try:
        if request.POST.get("action") == "version":
            saved = review.draft_new_version(draft=draft, actor=request.user, text=text)
            messages.success(request, f"Version {saved.version} saved.")
        else:
            saved = review.draft_edit(draft=draft, actor=request.user, text=text)
            messages.success(request, "Changes saved.")
    except DomainError as exc:
        # The page again with the lawyer's text in the box, so nothing typed is lost.
        context = _detail_context(request, draft, edit_text=text, edit_error=exc.detail)
        return render(request, "drafting/draft_detail.html", context, status=exc.status_code)
    return redirect("drafting:detail", draft_id=saved.pk)


@require_GET
@vary_on_headers("HX-Request")
@verified_login_required
def draft_diff(request: HtmxHttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft_or_404(request.user, draft_id)
    versions = {
        version.pk: version for version in review.draft_versions(draft, viewer=request.user)
    }
    try:
        old, new = versions[int(request.GET["old"])], versions[int(request.GET["new"])]
    except (KeyError, ValueError):
        raise Http404("Choose two versions of this draft.") from None
    context = {"draft": draft, "old": old, "new": new, "lines": review.draft_diff_lines(old, new)}
    template = "drafting/draft_diff.html"
    if request.htmx:
        template += "#diff"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
@verified_login_required
def my_drafts(request: HtmxHttpRequest) -> HttpResponse:
    drafts = drafts_visible_to(request.user).filter(author=request.user)
    page = Paginator(drafts, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "drafting/my_drafts.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#draft-table"
    return render(request, template, {"page": page})


@require_GET
@verified_login_required
def case_panel(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    _require_staff(request.user)
    case = case_get_visible(user=request.user, case_id=case_id)
    drafts = drafts_visible_to(request.user).filter(case=case)[:PANEL_SIZE]
    context = {"case": case, "drafts": drafts, "panel_size": PANEL_SIZE}
    return render(request, "drafting/case_panel.html", context)


# --- Batches --------------------------------------------------------------------------------


@require_GET
@verified_login_required
def csv_template(request: HtmxHttpRequest, type_id: str) -> HttpResponse:
    """A CSV file with the type's header and its example as the first row."""
    _require_staff(request.user)
    doc = _type_or_404(type_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f.name for f in doc.fields])
    writer.writerow([doc.example_inputs.get(f.name, "") for f in doc.fields])
    # The byte-order mark makes spreadsheets read it as UTF-8 (the £ of an amount).
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{doc.id}-template.csv"'
    return response


@require_http_methods(["GET", "POST"])
@verified_login_required
def batch_new(request: HtmxHttpRequest) -> HttpResponse:
    _require_staff(request.user)
    choices = [(doc.id, doc.title) for doc in DOCUMENT_TYPES.values()]
    posted = request.method == "POST"
    form = BatchUploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        user=request.user,
        type_choices=choices,
        initial={"case": request.GET.get("case"), "document_type": request.GET.get("type")},
    )
    if posted and form.is_valid():
        try:
            batch = batches.batch_create_from_csv(
                author=request.user,
                type_id=form.cleaned_data["document_type"],
                csv_file=form.cleaned_data["csv_file"],
                case=form.cleaned_data["case"],
                request_id=request_id_for(request),
            )
        except DomainError as exc:
            form.add_error("csv_file", exc.detail)
        else:
            return redirect("drafting:batch", batch_id=batch.pk)
    recent = batches.batches_visible_to(request.user).filter(author=request.user)[:PANEL_SIZE]
    context = {"form": form, "document_types": DOCUMENT_TYPES.values(), "recent": recent}
    return render(request, "drafting/batch_new.html", context)


def _batch_context(batch: DraftBatch) -> dict[str, Any]:
    return {
        "batch": batch,
        "progress": batches.batch_progress(batch),
        "rows": batches.batch_rows(batch),
    }


@require_GET
@verified_login_required
def batch_detail(request: HtmxHttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request.user, batch_id)
    context = {**_batch_context(batch), "document_type": DOCUMENT_TYPES.get(batch.document_type)}
    return render(request, "drafting/batch_detail.html", context)


@require_GET
@verified_login_required
def batch_progress(request: HtmxHttpRequest, batch_id: int) -> HttpResponse:
    """The batch's progress and rows, polled every second until no row is left to draft."""
    batch = _batch_or_404(request.user, batch_id)
    return render(request, "drafting/batch_detail.html#progress", _batch_context(batch))


@require_POST
@verified_login_required
def batch_retry(request: HtmxHttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request.user, batch_id)
    queued = batches.batch_retry_failed(
        batch=batch, actor=request.user, request_id=request_id_for(request)
    )
    still_failed = batches.batch_progress(batch)["failed"]
    note = f"{queued} row{'s' if queued != 1 else ''} queued again."
    if still_failed:
        note += f" {still_failed} need their inputs fixed first."
    messages.info(request, note)
    return redirect("drafting:batch", batch_id=batch.pk)


@require_GET
@verified_login_required
def batch_zip(request: HtmxHttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request.user, batch_id)
    response = HttpResponse(batches.batch_zip(batch), content_type="application/zip")
    filename = f"batch-{batch.pk}-{batch.document_type}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
@verified_login_required
def batch_row_fix(request: HtmxHttpRequest, draft_id: int) -> HttpResponse:
    """Correct the inputs of a failed row of a batch and draft it again."""
    _require_staff(request.user)
    draft = _draft_or_404(request.user, draft_id)
    if draft.batch_id is None or draft.status != Draft.Status.FAILED:
        raise Http404("Only a failed row of a batch can be fixed.")
    doc = _type_or_404(draft.document_type)
    data = request.POST if request.method == "POST" else None
    form = DocumentTypeForm(data, document_type=doc, initial=draft.inputs)
    if request.method == "POST" and form.is_valid():
        try:
            batches.batch_row_fix(
                draft=draft,
                actor=request.user,
                inputs=form.inputs,
                request_id=request_id_for(request),
            )
        except DraftInvalid as exc:
            _add_input_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, f"Draft {draft.pk} is queued again.")
            return redirect("drafting:batch", batch_id=draft.batch_id)
    context = {"form": form, "document_type": doc, "fix": draft}
    return render(request, "drafting/draft_form.html", context)
