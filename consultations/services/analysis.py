"""Contract analysis: the firm's rule checks on a contract, and the model's findings merged in.

Its kind of the pipeline asks for a JSON answer held to `_ANALYSIS_SCHEMA`; an answer that
cannot be read (or was cut off) still leaves the rule checks, which then answer alone,
labelled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accounts.models import User
from cases.models import Case
from config.dbpool import db
from consultations.llm.client import OFFLINE_LABEL, Completion
from consultations.llm.errors import LLMBadOutput, LLMError, LLMTruncated
from consultations.llm.pii import restore
from consultations.llm.prompts import render_prompt
from consultations.models import Consultation
from consultations.policies import (
    SEVERITIES,
    Policy,
    RequiredClause,
    get_policy,
    merge_findings,
    risk_level,
    suggestions_for,
)
from consultations.services.pipeline import Ask, call_prepare

_OFFLINE_ANALYSIS_NOTE = (
    f"{OFFLINE_LABEL} No language model was consulted: these findings come from the firm's "
    "rule checks only."
)
_FALLBACK_ANALYSIS_NOTE = (
    "[Rule checks only] The AI's answer could not be read, so these findings come from the "
    "firm's rule checks only."
)


@dataclass(frozen=True)
class AnalysisResult:
    findings: list[dict[str, str]]
    risk_level: str
    suggestions: list[str]
    tokens_used: int
    cached: bool
    consultation: Consultation


async def contract_analyze(
    *,
    user: User,
    text: str,
    policy: str,
    case: Case | None = None,
    request_id: str,
    idempotency_key: str = "",
    endpoint: str = "",
) -> AnalysisResult:
    """Findings on contract `text` under the named policy (`UnknownPolicy` if there is none).

    The policy's rule checks always run, on the scrubbed text so that their evidence and the
    model's quote the same words; the model's findings are merged in. The offline provider
    finds nothing of its own, so offline the analysis is the rule checks alone.
    """
    checked = get_policy(policy)

    def build() -> Ask:
        prompt = render_prompt(
            "analyze",
            {
                "policy_title": checked.title,
                "policy_description": checked.description,
                "rules": _rule_sentences(checked),
            },
        )
        return Ask(
            kind=Consultation.Kind.ANALYZE,
            prompt=prompt,
            messages=[
                {"role": "system", "content": prompt.text},
                {"role": "user", "content": text},
            ],
            params={"policy": checked.name},
            policy=checked,
            json_schema=_ANALYSIS_SCHEMA,
            parse=_model_analysis,
            # Offline, the analysis is the rule checks alone, which `finish` merges in.
            offline_answer=_NO_MODEL_FINDINGS,
            fallback=_rule_checks_alone,
        )

    call = await db(
        call_prepare,
        user=user,
        case=case,
        build=build,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
    )
    rule_findings = checked.check(call.ask.messages[-1]["content"])
    mapping = call.scrubber.mapping

    def finish(cached: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        findings = [
            {name: restore(value, mapping) for name, value in finding.as_dict().items()}
            for finding in merge_findings(rule_findings, cached["findings"])
        ]
        model_suggestions = (restore(s, mapping) for s in cached["suggestions"])
        suggestions = list(dict.fromkeys([*suggestions_for(findings), *model_suggestions]))
        if cached["provider"] == "offline":
            suggestions.insert(0, _OFFLINE_ANALYSIS_NOTE)
        elif cached.get("error_code"):
            suggestions.insert(0, _FALLBACK_ANALYSIS_NOTE)
        result = {
            "findings": findings,
            "riskLevel": risk_level(findings),
            "suggestions": suggestions,
        }
        return json.dumps(result, ensure_ascii=False), result

    answered = await call.run(finish)
    result = answered.result
    return AnalysisResult(
        findings=result["findings"],
        risk_level=result["riskLevel"],
        suggestions=result["suggestions"],
        tokens_used=answered.consultation.tokens_used,
        cached=answered.hit,
        consultation=answered.consultation,
    )


_NO_MODEL_FINDINGS = json.dumps({"findings": [], "suggestions": []})


def _rule_checks_alone(error: LLMError) -> dict[str, Any] | None:
    # An answer that cannot be read (or was cut off) still leaves the rule checks, which
    # answer alone, labelled; a failure of the provider itself is still a failure.
    if not isinstance(error, (LLMBadOutput, LLMTruncated)):
        return None
    return {"findings": [], "suggestions": [], "error_code": f"{error.code}_fallback"}


def _rule_sentences(policy: Policy) -> list[str]:
    return [
        f"The contract must contain a {rule.clause.lower()} clause. {rule.suggestion}"
        if isinstance(rule, RequiredClause)
        else f"{rule.clause}: {rule.suggestion}"
        for rule in policy.rules
    ]


# What the model must answer, for a provider that holds it to a schema (OpenAI's strict mode
# wants every property required and no others); the prompt says the same in words.
_ANALYSIS_SCHEMA = {
    "name": "contract_analysis",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "findings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "clause": {"type": "string"},
                        "severity": {"type": "string", "enum": list(SEVERITIES)},
                        "evidence": {"type": "string"},
                        "message": {"type": "string"},
                        "suggestion": {"type": "string"},
                    },
                    "required": ["clause", "severity", "evidence", "message", "suggestion"],
                    "additionalProperties": False,
                },
            },
            "suggestions": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["findings", "suggestions"],
        "additionalProperties": False,
    },
}


def _model_analysis(completion: Completion) -> dict[str, Any]:
    """The model's findings and suggestions, or LLMBadOutput when the JSON has another shape.

    Entries inside the lists are forgiven (merge_findings drops what says nothing and
    normalises severities); a missing or non-list `findings` is not.
    """
    answer = json.loads(completion.text)  # the provider guarantees a JSON object
    findings = answer.get("findings")
    suggestions = answer.get("suggestions", [])
    if not isinstance(findings, list) or not isinstance(suggestions, list):
        raise LLMBadOutput(attempts=completion.attempts, upstream_status=200)
    return {
        "findings": [finding.as_dict() for finding in merge_findings([], findings)],
        "suggestions": [s.strip() for s in suggestions if isinstance(s, str) and s.strip()],
    }
