"""Typed failures of an LLM call.

A failure that waiting may cure reaches the user as the contract's 503 with ``Retry-After``
("try again later"); ``code`` says what really happened, for the Consultation record, the
logs and the metrics. ``LLMMisconfigured`` is the exception: the provider refused the request
itself (a bad key, an unknown model, a request it cannot read), so every retry would fail the
same way until an admin fixes the settings; telling the user to try again would be a lie, so
it answers 502 without ``Retry-After``.
"""

from __future__ import annotations

from config.errors import DomainError

# Seconds a caller is asked to wait when the provider did not say how long.
DEFAULT_RETRY_AFTER = 5


class LLMError(DomainError):
    status_code = 503
    default_detail = "The AI is busy right now, please try again."
    code = "unavailable"
    problem = "ai-unavailable"

    def __init__(
        self,
        *,
        attempts: int,
        retry_after: int = DEFAULT_RETRY_AFTER,
        code: str | None = None,
        upstream_status: int | None = None,
    ) -> None:
        # Retry-After only where waiting helps (the 503s), never on a misconfiguration.
        headers = {"Retry-After": str(retry_after)} if self.status_code == 503 else None
        super().__init__(headers=headers)
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
    """The provider would not answer this request: its content filter, or an error it reported
    without an HTTP status."""

    code = "rejected"


class LLMMisconfigured(LLMError):
    """The provider refused the request itself: a 4xx other than 408/409/429 (401 a bad key,
    403 a key without access, 404 an unknown model or URL, 400/422 a request it cannot
    read). Only an admin can cure it: answered 502, logged at ERROR, alerted on."""

    status_code = 502
    default_detail = "The AI service is misconfigured; an administrator has been told."
    code = "misconfigured"
    problem = "ai-misconfigured"


class LLMBadOutput(LLMError):
    """The answer was unusable: a body that is not JSON, a body of the wrong shape, an empty
    message, or (with ``json_output``) text that is not a JSON object."""

    code = "bad_output"


class LLMTruncated(LLMError):
    """The model stopped before finishing (``finish_reason`` ``length``); never cached."""

    code = "truncated"
