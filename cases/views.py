from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import verified_login_required
from accounts.http import HtmxHttpRequest
from cases import selectors, services
from cases.forms import CaseFilterForm, CaseForm
from cases.panels import case_panels

PAGE_SIZE = 25


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
@verified_login_required
def case_detail(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_visible(user=request.user, case_id=case_id)
    # The registered panels (AI consultations, drafts) are staff tools.
    panels = case_panels() if request.user.is_staff_member else []
    context = {
        "case": case,
        "can_edit": selectors.case_can_edit(request.user, case),
        "panels": [(panel.title, panel.url(case.pk)) for panel in panels],
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
