"""Payment plans: the schedule, the policy that approves it, and the request on file."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.ledger.audit import record
from bot.ledger.figures import account_summary
from bot.ledger.models import Customer, PaymentPlan, PlanInstalment
from bot.ledger.references import new_reference
from bot.settings import PlanPolicy

CENT = Decimal("0.01")


class PlanInputError(ValueError):
    """The customer's plan cannot be recorded as asked; code says why."""

    def __init__(self, code: str, **details):
        self.code, self.details = code, details
        super().__init__(code)


def _add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def schedule(total: Decimal, count: int, start: date) -> list[tuple[date, Decimal]]:
    """Monthly instalments from start; cents left by rounding go on the first one."""
    base = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    amounts = [base] * count
    amounts[0] += total - base * count
    return [(_add_months(start, n), amount) for n, amount in enumerate(amounts)]


@dataclass(frozen=True)
class PlanDecision:
    approved: bool
    reasons: tuple[str, ...]
    instalments: tuple[tuple[date, Decimal], ...]


def decide(total: Decimal, count: int, start: date, today: date, policy: PlanPolicy,
           has_broken_plan: bool) -> PlanDecision:
    """Approve a plan at once when every limit holds; otherwise list the limits broken."""
    instalments = tuple(schedule(total, count, start))
    reasons = []
    if count > policy.max_instalments:
        reasons.append("too_many_instalments")
    if instalments[0][1] < (total * policy.min_first_payment_ratio).quantize(CENT):
        reasons.append("first_payment_too_small")
    if (instalments[-1][0] - today).days > policy.max_term_days:
        reasons.append("term_too_long")
    if (start - today).days > policy.max_start_delay_days:
        reasons.append("start_too_late")
    if has_broken_plan:
        reasons.append("broken_plan")
    return PlanDecision(not reasons, tuple(reasons), instalments)


@dataclass(frozen=True)
class PlanTerms:
    """A plan as it would be recorded: what the customer confirms before it is."""

    total: Decimal
    count: int
    start: date
    decision: PlanDecision


def preview_payment_plan(session: Session, caller: Caller, amount: Optional[Decimal],
                         count: int, start: date, today: date, policy: PlanPolicy
                         ) -> PlanTerms:
    """The plan's total, schedule and decision, checked, with nothing written."""
    customer = session.get(Customer, caller.customer_id)
    balance = account_summary(customer, today).net_balance
    if balance <= 0:
        raise PlanInputError("nothing_owed")
    total = balance if amount is None else amount
    if total <= 0:
        raise PlanInputError("amount_not_positive")
    if total > balance:
        raise PlanInputError("amount_above_balance", balance=balance)
    if count < 1 or count > 36:
        raise PlanInputError("instalments_out_of_range")
    if start < today:
        raise PlanInputError("start_in_past")
    has_broken = session.scalars(
        select(PaymentPlan.id).where(PaymentPlan.customer_id == customer.id,
                                     PaymentPlan.status == "broken")
    ).first() is not None
    return PlanTerms(total, count, start, decide(total, count, start, today, policy, has_broken))


def request_payment_plan(session: Session, caller: Caller, amount: Optional[Decimal],
                         count: int, start: date, today: date, policy: PlanPolicy
                         ) -> PaymentPlan:
    """Record a plan for amount (None: the whole open balance), approved or pending AR."""
    terms = preview_payment_plan(session, caller, amount, count, start, today, policy)
    total, decision, customer = terms.total, terms.decision, session.get(Customer, caller.customer_id)
    plan = PaymentPlan(
        reference=new_reference("PLN"), customer_id=customer.id, contact_id=caller.contact_id,
        total_amount=total, instalment_count=count, start_date=start,
        status="approved" if decision.approved else "pending_approval",
        decision_reasons=list(decision.reasons),
        instalments=[PlanInstalment(sequence=n + 1, due_date=due, amount=part)
                     for n, (due, part) in enumerate(decision.instalments)],
    )
    session.add(plan)
    session.flush()
    record(session, actor=caller.actor, action="payment_plan_requested", entity="payment_plan",
           entity_id=plan.id, details={"reference": plan.reference, "status": plan.status,
                                       "total": str(total), "instalments": count,
                                       "reasons": list(decision.reasons)})
    return plan
