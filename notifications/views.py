from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import verified_login_required
from accounts.http import HtmxHttpRequest
from notifications.forms import PreferencesForm
from notifications.models import Topic
from notifications.services import preferences_get, preferences_update


@require_http_methods(["GET", "POST"])
@verified_login_required
def preferences(request: HtmxHttpRequest) -> HttpResponse:
    """The e-mails the user gets, each topic on or off."""
    current = preferences_get(request.user)
    form = PreferencesForm(
        request.POST or None, initial={topic: current.wants(topic) for topic in Topic.values}
    )
    if request.method == "POST" and form.is_valid():
        preferences_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Your e-mail choices are saved.")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
