"""Payment plans: the schedule the customer is told, the policy that approves it without
a person, and the request AR finds on file."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.ledger.models import AuditEntry, PaymentPlan
from bot.requests.plans import PlanInputError, decide, request_payment_plan, schedule
from bot.settings import PlanPolicy

POLICY = PlanPolicy()  # 6 instalments, 10 % first, 180-day term, start within 30 days
TODAY = date(2026, 11, 23)
ACME_NET_BALANCE = Decimal("15475.50")  # open 16225.50 less the unapplied 750.00 cheque


# --- schedule ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("total", "count"),
    [("100.00", 3), ("15475.50", 6), ("0.05", 6), ("1000.01", 7), ("999.99", 12),
     ("16225.50", 1), ("10.00", 3)],
)
def test_schedule_adds_up_to_the_total_to_the_cent(total, count):
    total = Decimal(total)
    instalments = schedule(total, count, date(2026, 12, 1))
    amounts = [amount for _, amount in instalments]
    assert len(instalments) == count
    assert sum(amounts) == total
    assert all(a == a.quantize(Decimal("0.01")) for a in amounts)
    # Equal instalments; the rounding cents go on the first, never more than count-1 cents.
    assert len(set(amounts[1:])) <= 1
    assert Decimal(0) <= amounts[0] - amounts[-1] < Decimal("0.01") * count


def test_schedule_of_100_in_3():
    assert schedule(Decimal("100.00"), 3, date(2026, 12, 1)) == [
        (date(2026, 12, 1), Decimal("33.34")),
        (date(2027, 1, 1), Decimal("33.33")),
        (date(2027, 2, 1), Decimal("33.33")),
    ]


def test_schedule_is_monthly_and_keeps_the_day_where_the_month_allows():
    dates = [d for d, _ in schedule(Decimal("400.00"), 4, date(2027, 1, 31))]
    assert dates == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31),
                     date(2027, 4, 30)]


# --- policy ------------------------------------------------------------------------------

def test_plan_within_every_limit_is_approved():
    decision = decide(Decimal("1200.00"), 6, TODAY + timedelta(days=7), TODAY, POLICY, False)
    assert decision.approved and decision.reasons == ()
    assert sum(a for _, a in decision.instalments) == Decimal("1200.00")


@pytest.mark.parametrize(
    ("count", "start_in_days", "broken", "reasons"),
    [
        (7, 0, False, ("too_many_instalments", "term_too_long")),  # 7th at 181 days
        (3, 31, False, ("start_too_late",)),
        (3, 30, False, ()),                                   # exactly the limit is fine
        (6, 30, False, ("term_too_long",)),                   # last one ~180+ days away
        (2, 0, True, ("broken_plan",)),
        (12, 0, False, ("too_many_instalments", "first_payment_too_small", "term_too_long")),
        (7, 45, True, ("too_many_instalments", "term_too_long", "start_too_late",
                       "broken_plan")),
    ],
)
def test_decide_lists_each_broken_limit(count, start_in_days, broken, reasons):
    decision = decide(Decimal("3000.00"), count, TODAY + timedelta(days=start_in_days), TODAY,
                      POLICY, broken)
    assert decision.reasons == reasons
    assert decision.approved is (reasons == ())


def test_too_many_instalments_alone():
    few = PlanPolicy(max_instalments=4)
    assert decide(Decimal("500"), 4, TODAY, TODAY, few, False).approved
    decision = decide(Decimal("500"), 5, TODAY, TODAY, few, False)
    assert decision.reasons == ("too_many_instalments",) and not decision.approved


def test_term_limit_is_measured_to_the_last_instalment():
    # 6 monthly payments from today: the last is 2027-04-23, 151 days away.
    assert decide(Decimal("600"), 6, TODAY, TODAY, POLICY, False).approved
    tight = PlanPolicy(max_term_days=150)
    assert decide(Decimal("600"), 6, TODAY, TODAY, tight, False).reasons == ("term_too_long",)


# --- requests on file --------------------------------------------------------------------

def test_whole_balance_when_no_amount_is_given(demo_db, jane, today):
    with demo_db.session() as session:
        plan = request_payment_plan(session, jane, None, 3, today + timedelta(days=7), today,
                                    POLICY)
    assert plan.total_amount == ACME_NET_BALANCE
    assert plan.status == "approved" and plan.decision_reasons == []
    assert plan.reference.startswith("PLN-")
    with demo_db.session() as session:
        stored = session.scalars(select(PaymentPlan)).one()
        assert [(i.sequence, i.due_date, i.amount) for i in stored.instalments] == [
            (1, date(2026, 11, 30), Decimal("5158.50")),
            (2, date(2026, 12, 30), Decimal("5158.50")),
            (3, date(2027, 1, 30), Decimal("5158.50")),
        ]
        assert stored.contact_id == jane.contact_id


def test_a_part_of_the_balance_can_be_planned(demo_db, jane, today):
    with demo_db.session() as session:
        plan = request_payment_plan(session, jane, Decimal("1000.00"), 3, today, today, POLICY)
    assert plan.total_amount == Decimal("1000.00")
    assert [i.amount for i in plan.instalments] == [Decimal("333.34"), Decimal("333.33"),
                                                    Decimal("333.33")]


@pytest.mark.parametrize("amount", ["15475.51", "16225.50"])
def test_amount_above_the_balance_is_refused(demo_db, jane, today, amount):
    with demo_db.session() as session:
        with pytest.raises(PlanInputError) as refused:
            request_payment_plan(session, jane, Decimal(amount), 3, today, today, POLICY)
    assert refused.value.code == "amount_above_balance"
    assert refused.value.details["balance"] == ACME_NET_BALANCE
    with demo_db.session() as session:
        assert session.scalars(select(PaymentPlan)).all() == []


@pytest.mark.parametrize(
    ("amount", "count", "start_in_days", "code"),
    [("0", 3, 0, "amount_not_positive"), ("-5", 3, 0, "amount_not_positive"),
     ("100", 0, 0, "instalments_out_of_range"), ("100", 37, 0, "instalments_out_of_range"),
     ("100", 3, -1, "start_in_past")],
)
def test_impossible_requests_are_refused(demo_db, jane, today, amount, count, start_in_days,
                                         code):
    with demo_db.session() as session:
        with pytest.raises(PlanInputError) as refused:
            request_payment_plan(session, jane, Decimal(amount), count,
                                 today + timedelta(days=start_in_days), today, POLICY)
    assert refused.value.code == code


def test_plan_outside_policy_waits_for_ar_with_its_reasons(demo_db, jane, today):
    with demo_db.session() as session:
        plan = request_payment_plan(session, jane, None, 8, today + timedelta(days=40), today,
                                    POLICY)
    assert plan.status == "pending_approval"
    with demo_db.session() as session:
        stored = session.scalars(select(PaymentPlan)).one()
        assert stored.status == "pending_approval"
        assert stored.decision_reasons == ["too_many_instalments", "term_too_long",
                                           "start_too_late"]
        assert len(stored.instalments) == 8
        assert sum(i.amount for i in stored.instalments) == ACME_NET_BALANCE


def test_a_broken_plan_on_file_makes_the_next_one_wait_for_ar(demo_db, jane, today):
    with demo_db.session() as session:
        first = request_payment_plan(session, jane, Decimal("600.00"), 2, today, today, POLICY)
    assert first.status == "approved"
    with demo_db.session() as session:
        session.get(PaymentPlan, first.id).status = "broken"
    with demo_db.session() as session:
        second = request_payment_plan(session, jane, Decimal("600.00"), 2, today, today, POLICY)
    assert second.status == "pending_approval"
    assert second.decision_reasons == ["broken_plan"]


def test_another_customers_broken_plan_does_not_count(demo_db, jane, phone_caller, today):
    with demo_db.session() as session:
        peter = phone_caller(session, "+14165550123")
        theirs = request_payment_plan(session, peter, Decimal("100.00"), 2, today, today,
                                      POLICY)
    with demo_db.session() as session:
        session.get(PaymentPlan, theirs.id).status = "broken"
    with demo_db.session() as session:
        mine = request_payment_plan(session, jane, Decimal("600.00"), 2, today, today, POLICY)
    assert mine.status == "approved"


def test_plan_request_is_audited(demo_db, jane, today):
    with demo_db.session() as session:
        plan = request_payment_plan(session, jane, Decimal("900.00"), 3, today, today, POLICY)
    with demo_db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "payment_plan_requested")).one()
    assert entry.actor == f"contact:{jane.contact_id}"
    assert (entry.entity, entry.entity_id) == ("payment_plan", plan.id)
    assert entry.details == {"reference": plan.reference, "status": "approved",
                             "total": "900.00", "instalments": 3, "reasons": []}
