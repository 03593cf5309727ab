"""Signals cases sends to the apps above it, which it cannot import."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `document_id`, after the commit that made a document ready (its passages indexed):
# consultations embeds its passages for semantic search.
document_ready = Signal()
