"""Sending the product's e-mails: one way for every app.

`email_queue` renders a plain-text template and writes the message (an `Email` row) with the
action that asked for it, then hands its id to a Celery task when the transaction commits (at
once outside one): a rolled-back action sends nothing, and the action never waits on the mail
server. The task (`notifications.tasks.email_send_task`) tries `EMAIL_SEND_ATTEMPTS` times with
an exponential back-off, then gives up and logs it: nothing about sending, not even a broker
outage, fails the action that asked for it.

Templates are plain text (no HTML escaping), one file per e-mail under
`templates/<app>/email/<name>.txt`. Logs name the recipient's domain only, never the whole
address, the body or a link in it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.template import Context, engines

from notifications.models import Email

logger = logging.getLogger("counsel.mail")


def email_queue(*, to: str, subject: str, template: str, context: dict[str, Any]) -> Email:
    """Send the e-mail `template` rendered with `context` to `to`, in the background, once the
    current transaction commits."""
    email = Email.objects.create(
        to=to, subject=subject[:200], template=template, body=render_plain(template, context)
    )
    transaction.on_commit(lambda: _publish(email))
    return email


def render_plain(template: str, context: dict[str, Any]) -> str:
    """`template` rendered as plain text: what it says, with no HTML escaping."""
    compiled = engines["django"].get_template(template).template
    return compiled.render(Context(context, autoescape=False))


def recipient_domain(address: str) -> str:
    """What the logs say of an address: its domain only."""
    return address.rpartition("@")[2] or "?"


def _publish(email: Email) -> None:
    from notifications.tasks import email_send_task  # the task's module imports this one

    try:
        email_send_task.delay(email.pk)
    except Exception:
        # Broad on purpose: every broker reports an outage its own way, and the action that
        # asked for the e-mail has already happened.
        logger.exception(
            "email_publish_failed",
            extra={"email_id": email.pk, "to_domain": recipient_domain(email.to)},
        )
