"""Every AI call of Counsel, through one pipeline (`pipeline`), a module per kind of call.

Re-exported here so that callers import from `consultations.services` whatever module a
name lives in. The calls are coroutines: async views await them; sync callers (a Celery task,
a sync page) run them with asgiref's `async_to_sync`.
"""

from consultations.recording import consultation_view_record
from consultations.services.analysis import AnalysisResult, contract_analyze
from consultations.services.chat import (
    ChatResult,
    ConversationCaseMismatch,
    ParkedQuestion,
    PendingQuestion,
    chat_answer,
    chat_question_park,
    chat_question_take,
    conversation_start,
)
from consultations.services.drafting import DraftableDocument, DraftResult, document_draft
from consultations.services.idempotency import (
    IdempotencyConflict,
    IdempotencyInProgress,
    idempotent_response,
    request_fingerprint,
)
from consultations.services.streaming import (
    ChatStream,
    ChatStreamEvent,
    StreamDelta,
    StreamDone,
    StreamFailed,
    chat_stream,
)

__all__ = [
    "AnalysisResult",
    "ChatResult",
    "ChatStream",
    "ChatStreamEvent",
    "ConversationCaseMismatch",
    "DraftResult",
    "DraftableDocument",
    "IdempotencyConflict",
    "IdempotencyInProgress",
    "ParkedQuestion",
    "PendingQuestion",
    "StreamDelta",
    "StreamDone",
    "StreamFailed",
    "chat_answer",
    "chat_question_park",
    "chat_question_take",
    "chat_stream",
    "consultation_view_record",
    "contract_analyze",
    "conversation_start",
    "document_draft",
    "idempotent_response",
    "request_fingerprint",
]
