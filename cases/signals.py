"""Signals cases sends to the apps above it.

`document_ready` (sender `Document`, keyword `document_id`) is sent once a document's passages
are indexed, after the commit that made it `ready`, so a receiver always finds its passages.
A signal rather than a call because the work that follows belongs to the apps above cases:
consultations embeds the passages for semantic search, and dependencies point one way
(drafting -> consultations -> cases -> accounts), so cases may not import consultations. It is
sent from `transaction.on_commit`; a receiver that raises is logged and the others still run
(`send_robust`), the document staying ready.
"""

from __future__ import annotations

from django.dispatch import Signal

document_ready = Signal()
