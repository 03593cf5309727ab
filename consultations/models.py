from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class Conversation(models.Model):
    """A thread of chat exchanges: each turn is a Consultation, and the earlier turns go to the
    model as history. The title is the first words of the first question, secrets masked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conversations"
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
    )
    title = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["user", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.title} (#{self.pk})"


class Consultation(models.Model):
    """One exchange with the LLM, successful or not: the audit record of what left the firm.

    `sent_text` is the scrubbed text the provider received (secrets masked, identities as
    placeholders), never the raw input; `answer` is what the user saw, identities restored.
    Users and cases are PROTECTed: an audit trail must not vanish with what it describes.
    """

    class Kind(models.TextChoices):
        CHAT = "chat", "Chat"
        ANALYZE = "analyze", "Analyze"
        DRAFT = "draft", "Draft"

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations"
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
    )
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="turns",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    provider = models.CharField(max_length=30)
    model = models.CharField(max_length=100)
    prompt_name = models.CharField(max_length=50)
    prompt_version = models.CharField(max_length=20)
    policy = models.CharField(max_length=50, blank=True)
    policy_version = models.CharField(max_length=20, blank=True)
    sent_text = models.TextField(help_text="What the provider received, already scrubbed.")
    answer = models.TextField(blank=True, help_text="What the user saw, identities restored.")
    question = models.TextField(
        blank=True,
        help_text="A conversation turn's question as asked, secrets masked; re-scrubbed when "
        "it goes to the model as history.",
    )
    redactions = models.JSONField(
        default=dict, blank=True, help_text="How many values of each entity type were scrubbed."
    )
    citations_dropped = models.PositiveSmallIntegerField(
        default=0,
        help_text="Citations of passages the model was never given, taken out of the answer.",
    )
    unrestored_placeholders = models.JSONField(
        default=list,
        blank=True,
        help_text="Placeholders the model invented or mangled, left as-is in the answer.",
    )
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_estimate = models.DecimalField(
        max_digits=12, decimal_places=6, default=0, help_text="USD; zero for a cache hit."
    )
    latency_ms = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Provider calls made (0 for a cache hit); retries are attempts - 1."
    )
    cache_hit = models.BooleanField(default=False)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error_code = models.CharField(max_length=50, blank=True)
    request_id = models.CharField(max_length=64, db_index=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="sha256 of the canonical request body."
    )
    response_body = models.JSONField(
        null=True, blank=True, help_text="The exact JSON answered, replayed for an Idempotency-Key."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"]),
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["kind", "outcome"]),
            models.Index(fields=["user", "idempotency_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.outcome})"

    @property
    def tokens_used(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def retries(self) -> int:
        return max(self.attempts - 1, 0)


class ConsultationExport(models.Model):
    """An admin downloaded consultations as CSV: who, when, which ones (the list's filters or
    the rows they ticked) and how many rows the file held. Each exported consultation also
    has a ConsultationView of this export, so "who has seen this exchange" covers exports."""

    class Scope(models.TextChoices):
        FILTERED = "filtered", "Every row of the list's filters"
        SELECTED = "selected", "Rows ticked on the list"

    exporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultation_exports"
    )
    exported_at = models.DateTimeField(auto_now_add=True)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    query = models.CharField(
        max_length=2000,
        blank=True,
        help_text="The list's query string (filters, search, order); empty: every row.",
    )
    rows = models.PositiveIntegerField(
        default=0, help_text="Consultations written to the file so far (all, once it ended)."
    )

    class Meta:
        ordering = ["-exported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.exporter} exported {self.rows} at {self.exported_at:%Y-%m-%d %H:%M}"


class ConsultationView(models.Model):
    """Someone opened a consultation (an admin in the audit, a user through the API) or an
    admin exported it: who looked at whose exchange, and when."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="views")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultation_views"
    )
    viewed_at = models.DateTimeField(auto_now_add=True)
    export = models.ForeignKey(
        ConsultationExport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="views",
        help_text="The CSV export that handed it out; empty: opened on its own.",
    )

    class Meta:
        ordering = ["-viewed_at", "-id"]
        indexes = [models.Index(fields=["consultation", "viewed_at"])]

    def __str__(self) -> str:
        return f"{self.viewer} viewed #{self.consultation_id} at {self.viewed_at:%Y-%m-%d %H:%M}"


class CacheInvalidation(models.Model):
    """An admin emptied part of a cache layer: the LLM answers (by kind, by prompt version, or
    both) or the tools' results (of one tool, or all)."""

    class Layer(models.TextChoices):
        ANSWERS = "answers", "Answers"
        TOOLS = "tools", "Tool results"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cache_invalidations"
    )
    layer = models.CharField(max_length=10, choices=Layer.choices, default=Layer.ANSWERS)
    tool = models.CharField(max_length=50, blank=True, help_text="Empty: every tool.")
    kind = models.CharField(max_length=10, blank=True, help_text="Empty: every kind.")
    prompt_version = models.CharField(
        max_length=20, blank=True, help_text="Empty: every prompt version."
    )
    keys_deleted = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        if self.layer == self.Layer.TOOLS:
            scope = self.tool or "all tools"
            return f"{self.user} invalidated {self.keys_deleted} tool results ({scope})"
        scope = f"{self.kind or 'all kinds'}, {self.prompt_version or 'all versions'}"
        return f"{self.user} invalidated {self.keys_deleted} keys ({scope})"


class Budget(models.Model):
    """A monthly ceiling on AI use, for one user or for the whole firm; either limit optional.

    Tokens count only calls that reached the provider (a cache hit paid nothing this time);
    cost is the recorded estimate, which is zero for hits and offline answers.
    """

    class Scope(models.TextChoices):
        USER = "user", "User"
        FIRM = "firm", "Firm"

    scope = models.CharField(max_length=4, choices=Scope.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ai_budget",
    )
    monthly_tokens = models.PositiveIntegerField(null=True, blank=True)
    monthly_cost_usd = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scope", "user__username"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="user", user__isnull=False)
                    | models.Q(scope="firm", user__isnull=True)
                ),
                name="budget_user_matches_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"Budget for {self.user}" if self.user_id else "Firm budget"

    def clean(self) -> None:
        if self.scope == self.Scope.USER and self.user_id is None:
            raise ValidationError({"user": "A user budget needs a user."})
        if self.scope == self.Scope.FIRM and self.user_id is not None:
            raise ValidationError({"user": "The firm budget belongs to no user."})
        if self.monthly_tokens is None and self.monthly_cost_usd is None:
            raise ValidationError("Set a monthly token limit, a cost limit, or both.")
        # Checked here, not by a constraint: MariaDB has no partial unique index.
        firm_budgets = Budget.objects.filter(scope=self.Scope.FIRM).exclude(pk=self.pk)
        if self.scope == self.Scope.FIRM and firm_budgets.exists():
            raise ValidationError("There is already a firm budget; change that one.")


class BudgetReservation(models.Model):
    """What one AI call in flight may still spend, held against the budgets from before it
    asks the provider until its Consultation is recorded: parallel calls count each other
    before any of them has an answer (consultations.budgets). A reservation left behind by a
    process that died mid-call stops counting at `expires_at`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="budget_reservations"
    )
    tokens = models.PositiveIntegerField()
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["expires_at"]),
            models.Index(fields=["user", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.tokens} tokens for {self.user} until {self.expires_at:%H:%M:%S}"


class ToolCall(models.Model):
    """The model (in a chat) or an MCP client called one of Counsel's read-only tools
    (consultations.tools): what it asked for, how big the answer was, how long it took and
    whether the tool cache answered. The result itself is never stored: it is the case's data,
    read again whenever it is needed."""

    class Channel(models.TextChoices):
        CHAT = "chat", "Chat"
        MCP = "mcp", "MCP"

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tool_calls",
        help_text="The chat exchange the model called it in; empty for an MCP client's call.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tool_calls"
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tool_calls",
        help_text="The case the tool read, when it read one the caller may see.",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    tool = models.CharField(max_length=50)
    arguments = models.JSONField(
        default=dict,
        blank=True,
        help_text="As the caller sent them (a model's placeholders restored), secrets masked.",
    )
    result_size = models.PositiveIntegerField(default=0, help_text="Characters of the result.")
    elapsed_ms = models.PositiveIntegerField(default=0)
    cached = models.BooleanField(default=False)
    error_code = models.CharField(max_length=30, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"]),
            models.Index(fields=["tool", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.tool} #{self.pk} ({self.error_code or 'ok'})"
