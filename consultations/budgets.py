"""Monthly AI budgets: a ceiling on tokens and/or cost, per user and for the whole firm.

What a month has spent is summed from the Consultation rows of the calendar month (UTC), one
aggregate query per scope on the (user, created_at) and (created_at) indexes, every time:
a cached sum would let a burst of calls run past the limit. Tokens count only the calls that
reached the provider (`cache_hit` False): a cache hit is recorded with the tokens its answer
first cost, but nothing was spent on it this time. Cost is the recorded estimate, already
zero for cache hits and offline answers. A limit blocks once spent >= limit: the call that
crosses it still runs (its size is unknown until the provider answers), the next one is
refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from config.errors import DomainError
from consultations.models import Budget, Consultation

logger = logging.getLogger("counsel.budgets")

# The budgets themselves (not what they spent) are read before every AI call and change
# rarely: each scope's list is cached and dropped whenever a budget is saved or deleted. The
# TTL bounds how stale a list can be when that drop fails (the cache was down at the time).
_BUDGETS_TTL_S = 60


class BudgetExceeded(DomainError):
    status_code = 429
    default_detail = "Your monthly AI budget is spent; ask an admin to raise it."


FIRM_BUDGET_SPENT = "The firm's monthly AI budget is spent; ask an admin to raise it."


@dataclass(frozen=True)
class BudgetUsage:
    budget: Budget
    tokens: int
    cost: Decimal

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
        return (limit_tokens is not None and self.tokens >= limit_tokens) or (
            limit_cost is not None and self.cost >= limit_cost
        )


def _percent(spent: int | Decimal, limit: int | Decimal | None) -> int | None:
    if limit is None:
        return None
    return 100 if spent >= limit else int(100 * spent / limit)


def month_start() -> datetime:
    """Midnight on the first of this month, in the site's time zone."""
    return timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def budget_usage(*, budget: Budget, since: datetime | None = None) -> BudgetUsage:
    """What the budget's scope spent since `since` (default: the start of this month)."""
    rows = Consultation.objects.filter(created_at__gte=since or month_start())
    if budget.scope == Budget.Scope.USER:
        rows = rows.filter(user_id=budget.user_id)
    spent = rows.aggregate(
        tokens=Coalesce(
            Sum(F("prompt_tokens") + F("completion_tokens"), filter=Q(cache_hit=False)), 0
        ),
        cost=Coalesce(Sum("cost_estimate"), Decimal(0)),
    )
    return BudgetUsage(budget=budget, tokens=spent["tokens"], cost=Decimal(spent["cost"]))


def budgets_usage() -> list[BudgetUsage]:
    """Every budget with what it has spent this month: the firm's first, then users'."""
    since = month_start()
    budgets = Budget.objects.select_related("user")
    return [budget_usage(budget=budget, since=since) for budget in budgets]


def budget_check(*, user: User) -> None:
    """Raise BudgetExceeded when the user's or the firm's monthly budget is spent.

    Called before every AI call; with no budget set it costs one cache read.
    """
    since = month_start()
    for budget in _budgets_in_force(user):
        if budget_usage(budget=budget, since=since).spent:
            raise BudgetExceeded(None if budget.scope == Budget.Scope.USER else FIRM_BUDGET_SPENT)


def _budgets_key(user_id: int | None) -> str:
    return "budgets:firm" if user_id is None else f"budgets:user:{user_id}"


def _budgets_in_force(user: User) -> list[Budget]:
    """The firm's budgets and the user's, from the cache when it has them (one round trip),
    else from the database; a cache outage only costs the queries."""
    scopes = {
        _budgets_key(None): Q(scope=Budget.Scope.FIRM),
        _budgets_key(user.pk): Q(scope=Budget.Scope.USER, user=user),
    }
    try:
        found, cache_up = cache.get_many(list(scopes)), True
    except Exception:  # broad on purpose: django-redis reports an outage as a bare Exception
        logger.warning("budget cache unavailable, reading budgets from the database")
        found, cache_up = {}, False
    read = {
        key: list(Budget.objects.filter(where)) for key, where in scopes.items() if key not in found
    }
    if read and cache_up:
        try:
            cache.set_many(read, _BUDGETS_TTL_S)
        except Exception:
            logger.warning("budget cache unavailable, budgets not kept")
    lists = {**found, **read}
    return [budget for key in scopes for budget in lists[key]]


def budgets_forget(*, sender: type[Budget], instance: Budget, **kwargs: Any) -> None:
    """Drop the cached budgets of `instance`'s scope (connected to Budget's post_save and
    post_delete in apps.py, so that no way of changing a budget leaves a stale copy)."""
    try:
        cache.delete(
            _budgets_key(instance.user_id if instance.scope == Budget.Scope.USER else None)
        )
    except Exception:
        logger.warning("budget cache unavailable, a changed budget applies within a minute")
