"""Typed failures of an LLM call.

Every failure reaches the user as the same 503 with ``Retry-After`` (the ``/api/ai`` contract
has one failure shape, and a frontend only needs to know "try again later"); ``code`` says
what really happened, for the Consultation record, the logs and the metrics. That includes
``LLMRejected`` (the provider refused our request: a bad key, an unknown model, a prompt too
long): a 502 would describe it better, but the contract promises 503 whenever the AI cannot
answer, and the cause is ours to fix, not the caller's.
"""

from __future__ import annotations

from config.errors import DomainError

# Seconds a caller is asked to wait when the provider did not say how long.
DEFAULT_RETRY_AFTER = 5


class LLMError(DomainError):
    status_code = 503
    default_detail = "The AI is busy right now, please try again."
    code = "unavailable"

    def __init__(
        self,
        *,
        attempts: int,
        retry_after: int = DEFAULT_RETRY_AFTER,
        code: str | None = None,
        upstream_status: int | None = None,
    ) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})
        self.attempts = attempts
        self.retry_after = retry_after
        self.code = code or self.code
        # The provider's HTTP status of the last attempt, when it answered at all: an admin
        # tells a revoked key (401) from an oversized prompt (400) with it.
        self.upstream_status = upstream_status

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, attempts={self.attempts}, "
            f"upstream_status={self.upstream_status})"
        )


class LLMTimeout(LLMError):
    """The provider did not answer within the attempt timeout or the overall deadline."""

    code = "timeout"


class LLMUnavailable(LLMError):
    """Connection failures, 5xx, and 408/409/429 still failing when the retries ran out.

    ``code`` is ``"rate_limited"`` when the last answer was a 429.
    """

    code = "unavailable"


class LLMRejected(LLMError):
    """The provider refused the request (a 4xx other than 408/409/429, or a content filter)."""

    code = "rejected"


class LLMBadOutput(LLMError):
    """The answer was unusable: a body that is not JSON, a body of the wrong shape, an empty
    message, or (with ``json_output``) text that is not a JSON object."""

    code = "bad_output"


class LLMTruncated(LLMError):
    """The model stopped before finishing (``finish_reason`` ``length``); never cached."""

    code = "truncated"
