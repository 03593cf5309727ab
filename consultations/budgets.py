"""Monthly AI budgets: a ceiling on tokens and/or cost, per user and for the whole firm.

What a month has spent is summed from the Consultation rows of the calendar month (UTC), one
aggregate query per scope on the (user, created_at) and (created_at) indexes, every time:
a cached sum would let a burst of calls run past the limit. Tokens count only the calls that
reached the provider (`cache_hit` False): a cache hit is recorded with the tokens its answer
first cost, but nothing was spent on it this time. Cost is the recorded estimate, already
zero for cache hits and offline answers.

Calls in flight count too. Before it asks the provider, a call reserves its estimate (its
prompt's tokens and `LLM_RESERVED_OUTPUT_TOKENS` for the answer), under a row lock on the
budgets it falls under, so that of two parallel calls the second sees the first's
reservation; the reservation is released once the call is recorded, answered or failed. A
limit blocks once spent + reserved >= limit: the call that crosses it still runs (its size
is unknown until the provider answers), the next one is refused. So however many calls run
at once, a month spends at most its limit plus one call's reservation (an answer longer than
its reservation overshoots by the difference).

The budgets themselves are read from the database on every call, never from a cache: a
change made in the admin applies at once in every process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from config.errors import DomainError
from consultations.models import Budget, BudgetReservation, Consultation
from consultations.recording import consultation_refusal_record


class BudgetExceeded(DomainError):
    status_code = 429
    default_detail = "Your monthly AI budget is spent; ask an admin to raise it."
    code = "budget"
    problem = "ai-budget-spent"


FIRM_BUDGET_SPENT = "The firm's monthly AI budget is spent; ask an admin to raise it."


@dataclass(frozen=True)
class BudgetUsage:
    """What a budget's scope has spent this month, and what its calls in flight reserve."""

    budget: Budget
    tokens: int
    cost: Decimal
    reserved_tokens: int = 0
    reserved_cost: Decimal = Decimal(0)

    @property
    def token_percent(self) -> int | None:
        """Share of the token limit spent, 0 to 100 (a bar's width); None without a limit."""
        return _percent(self.tokens, self.budget.monthly_tokens)

    @property
    def cost_percent(self) -> int | None:
        return _percent(self.cost, self.budget.monthly_cost_usd)

    @property
    def spent(self) -> bool:
        limit_tokens, limit_cost = self.budget.monthly_tokens, self.budget.monthly_cost_usd
        return (
            limit_tokens is not None and self.tokens + self.reserved_tokens >= limit_tokens
        ) or (limit_cost is not None and self.cost + self.reserved_cost >= limit_cost)


@dataclass(frozen=True)
class BudgetedCall:
    """The AI call a budget is checked for, named in its record if it is refused."""

    kind: str
    request_id: str
    endpoint: str


def _percent(spent: int | Decimal, limit: int | Decimal | None) -> int | None:
    if limit is None:
        return None
    return 100 if spent >= limit else int(100 * spent / limit)


def month_start() -> datetime:
    """Midnight on the first of this month, in the site's time zone."""
    return timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def budget_usage(
    *, budget: Budget, since: datetime | None = None, in_flight: bool = False
) -> BudgetUsage:
    """What the budget's scope spent since `since` (default: the start of this month), and
    with `in_flight` what its calls in flight reserve."""
    reserved = {"tokens": 0, "cost": Decimal(0)}
    if in_flight:
        # Read before the spending: a call recorded in between is then counted twice (its
        # reservation and its row), never missed.
        live = BudgetReservation.objects.filter(expires_at__gt=timezone.now())
        reserved = _in_scope(budget, live).aggregate(
            tokens=Coalesce(Sum("tokens"), 0), cost=Coalesce(Sum("cost_usd"), Decimal(0))
        )
    rows = _in_scope(budget, Consultation.objects.filter(created_at__gte=since or month_start()))
    spent = rows.aggregate(
        tokens=Coalesce(
            Sum(F("prompt_tokens") + F("completion_tokens"), filter=Q(cache_hit=False)), 0
        ),
        cost=Coalesce(Sum("cost_estimate"), Decimal(0)),
    )
    return BudgetUsage(
        budget=budget,
        tokens=spent["tokens"],
        cost=Decimal(spent["cost"]),
        reserved_tokens=reserved["tokens"],
        reserved_cost=Decimal(reserved["cost"]),
    )


def _in_scope(budget: Budget, rows: QuerySet) -> QuerySet:
    return rows.filter(user_id=budget.user_id) if budget.scope == Budget.Scope.USER else rows


def users_with_month_cost(users: QuerySet[User]) -> QuerySet[User]:
    """`users`, each with `ai_cost_this_month`: the cost of their AI calls this month, summed
    as a budget sums it, in a subquery of the same query (the people list's column)."""
    cost = DecimalField(max_digits=12, decimal_places=6)
    spent = (
        Consultation.objects.filter(user=OuterRef("pk"), created_at__gte=month_start())
        .values("user")
        .annotate(cost=Sum("cost_estimate"))
        .values("cost")
    )
    return users.annotate(
        ai_cost_this_month=Coalesce(Subquery(spent, output_field=cost), Value(Decimal(0), cost))
    )


def budgets_usage() -> list[BudgetUsage]:
    """Every budget with what it has spent this month: the firm's first, then users'."""
    since = month_start()
    budgets = Budget.objects.select_related("user")
    return [budget_usage(budget=budget, since=since) for budget in budgets]


def _budgets_of(user: User) -> QuerySet[Budget]:
    return Budget.objects.filter(Q(scope=Budget.Scope.FIRM) | Q(scope=Budget.Scope.USER, user=user))


def _spent_budget(budgets: list[Budget]) -> Budget | None:
    """The first of `budgets` that is spent, counting the calls in flight."""
    since = month_start()
    for budget in budgets:
        if budget_usage(budget=budget, since=since, in_flight=True).spent:
            return budget
    return None


def _refused(*, user: User, budget: Budget, call: BudgetedCall) -> BudgetExceeded:
    """The refusal to raise for a call over `budget`, recorded (outside any transaction: a
    refusal's record must not roll back with it)."""
    refusal = BudgetExceeded(None if budget.scope == Budget.Scope.USER else FIRM_BUDGET_SPENT)
    consultation_refusal_record(
        user=user,
        kind=call.kind,
        reason=refusal.code,
        request_id=call.request_id,
        endpoint=call.endpoint,
    )
    return refusal


def budgets_apply(user: User) -> bool:
    """Whether any monthly budget (the user's or the firm's) counts this user's calls."""
    return _budgets_of(user).exists()


def budget_check(*, user: User, call: BudgetedCall) -> None:
    """Raise BudgetExceeded, recorded as a refused `call`, when the user's or the firm's
    monthly budget is spent (calls in flight included). A look before the call, reserving
    nothing: `budget_reserve` is the one that holds."""
    spent = _spent_budget(list(_budgets_of(user)))
    if spent is not None:
        raise _refused(user=user, budget=spent, call=call)


def budget_reserve(
    *, user: User, tokens: int, cost: Decimal, call: BudgetedCall
) -> BudgetReservation | None:
    """Hold `tokens` and `cost` against the user's and the firm's budgets for one call, or
    raise BudgetExceeded (recorded as a refused `call`) when either is spent. None when no
    budget applies: nothing to hold.

    The budgets' rows are locked (in id order, so that two callers cannot deadlock) until
    the reservation is written: parallel calls take turns here, for a few milliseconds each.
    On SQLite, where SELECT ... FOR UPDATE does not exist, the transaction's BEGIN IMMEDIATE
    (settings) serialises them the same way.
    """
    if not budgets_apply(user):
        return None  # the common case: one query, no lock
    with transaction.atomic():
        budgets = list(_budgets_of(user).select_for_update().order_by("pk"))
        spent = _spent_budget(budgets)
        if not budgets or spent is not None:  # deleted meanwhile, or spent
            reservation = None
        else:
            now = timezone.now()
            # Expired reservations were left by calls that never finished; they count no more.
            BudgetReservation.objects.filter(expires_at__lte=now).delete()
            reservation = BudgetReservation.objects.create(
                user=user,
                tokens=tokens,
                cost_usd=cost,
                # Longer than any call can take (every attempt within the deadline, then the
                # recording), so a live call's reservation never lapses.
                expires_at=now + timedelta(milliseconds=settings.LLM_DEADLINE_MS, minutes=1),
            )
    if spent is not None:
        raise _refused(user=user, budget=spent, call=call)
    return reservation


def budget_release(reservation: BudgetReservation | None) -> None:
    """The call is recorded (its Consultation counts now): its reservation counts no more."""
    if reservation is not None:
        BudgetReservation.objects.filter(pk=reservation.pk).delete()
