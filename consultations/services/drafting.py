"""Drafting: the model's revision of the first draft a document type's template assembled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from accounts.models import User
from cases.models import Case
from config.dbpool import db
from consultations.llm.prompts import render_prompt
from consultations.models import Consultation
from consultations.policies import get_policy
from consultations.services.pipeline import Ask, call_prepare


class DraftableDocument(Protocol):
    """What the drafting prompt tells the model about a document type. drafting's
    DocumentType is one; it is described here because drafting depends on consultations,
    never the reverse."""

    id: str
    title: str
    description: str


@dataclass(frozen=True)
class DraftResult:
    text: str
    tokens_used: int
    cached: bool
    consultation: Consultation


async def document_draft(
    *,
    user: User,
    document_type: DraftableDocument,
    assembled_text: str,
    tone: str,
    locale: str,
    policy: str = "",
    known_names: Iterable[str] = (),
    case: Case | None = None,
    request_id: str,
    idempotency_key: str = "",
    endpoint: str = "",
) -> DraftResult:
    """The finished document: the model's revision of `assembled_text`, the first draft that
    a document type's template assembled; offline, that first draft itself, labelled.

    `known_names` are the names among the document's inputs, scrubbed like the case's
    parties. `policy` names the analysis policy the result will be checked against ("" for
    none; UnknownPolicy if there is no such policy).
    """
    checked = get_policy(policy) if policy else None
    params = {
        "type": document_type.id,
        "tone": tone,
        "locale": locale,
        "policy": checked.name if checked else "",
    }

    def build() -> Ask:
        prompt = render_prompt(
            "draft",
            {
                "document": document_type,
                "draft": assembled_text,
                "tone": tone,
                "locale": locale,
                "policy": params["policy"],
            },
        )
        return Ask(
            kind=Consultation.Kind.DRAFT,
            prompt=prompt,
            # The prompt carries the draft inside it, so the whole request is one message.
            messages=[{"role": "user", "content": prompt.text}],
            params=params,
            policy=checked,
            # Scrubbed by the gate, like any answer that may be cached; restored below.
            offline_answer=assembled_text,
        )

    call = await db(
        call_prepare,
        user=user,
        case=case,
        build=build,
        names=known_names,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
    )
    answered = await call.run()
    consultation = answered.consultation
    return DraftResult(
        text=answered.result,
        tokens_used=consultation.tokens_used,
        cached=answered.hit,
        consultation=consultation,
    )
