"""What the ledger tells AR and the customer: open amounts, invoice status, aging, and
the account summary behind every balance the assistant quotes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from bot.ledger.figures import (
    AGING_BUCKETS,
    account_summary,
    aging_bucket,
    invoice_status,
    open_amount,
    overpaid_amount,
    unapplied_payment_amount,
)
from bot.ledger.models import Customer, Dispute, Invoice

CUSTOMER = """\
    account_number,name,currency,payment_terms_days,credit_limit,language
    C-1,Cobalt Tools Inc,USD,30,10000.00,en
    """


def _invoice(session, number: str) -> Invoice:
    return session.scalars(select(Invoice).where(Invoice.invoice_number == number)).one()


def _customer(session, account: str) -> Customer:
    return session.scalars(select(Customer).where(Customer.account_number == account)).one()


# --- one invoice: open amount and status -------------------------------------------------

def test_partial_payments_leave_the_rest_open(db, load_ledger, today):
    load_ledger({
        "customers.csv": CUSTOMER,
        "invoices.csv": """\
            invoice_number,account_number,issue_date,due_date,amount,currency,po_number,description
            I-1,C-1,2026-11-01,2026-12-01,1000.00,USD,,
            """,
        "payments.csv": """\
            payment_reference,account_number,received_date,amount,method,invoice_number,applied_amount
            P-1,C-1,2026-11-10,300.00,ach,I-1,300.00
            P-2,C-1,2026-11-20,250.50,wire,I-1,250.50
            """,
    })
    with db.session() as session:
        invoice = _invoice(session, "I-1")
        assert open_amount(invoice) == Decimal("449.50")
        assert invoice_status(invoice, today) == "partially_paid"
        # The same invoice once its due date has passed is overdue, not partially paid.
        assert invoice_status(invoice, date(2026, 12, 2)) == "overdue"


def test_credit_note_on_an_invoice_reduces_what_is_open_on_it(db, load_ledger, today):
    load_ledger({
        "customers.csv": CUSTOMER,
        "invoices.csv": """\
            invoice_number,account_number,issue_date,due_date,amount,currency,po_number,description
            I-1,C-1,2026-11-01,2026-12-01,800.00,USD,,
            I-2,C-1,2026-11-01,2026-12-01,800.00,USD,,
            """,
        "credit_notes.csv": """\
            credit_note_number,account_number,issue_date,amount,invoice_number,reason
            CN-1,C-1,2026-11-05,200.00,I-1,Price adjustment
            CN-2,C-1,2026-11-05,50.00,,Goodwill
            """,
    })
    with db.session() as session:
        assert open_amount(_invoice(session, "I-1")) == Decimal("600.00")
        # A credit note on no invoice does not touch any invoice...
        assert open_amount(_invoice(session, "I-2")) == Decimal("800.00")
        assert invoice_status(_invoice(session, "I-1"), today) == "partially_paid"
        # ...but is the customer's credit on the account.
        summary = account_summary(_customer(session, "C-1"), today)
        assert summary.open_total == Decimal("1400.00")
        assert summary.unapplied_credits == Decimal("50.00")
        assert summary.net_balance == Decimal("1350.00")


def test_invoice_settled_by_payment_and_credit_is_paid_even_past_due(db, load_ledger, today):
    load_ledger({
        "customers.csv": CUSTOMER,
        "invoices.csv": """\
            invoice_number,account_number,issue_date,due_date,amount,currency,po_number,description
            I-1,C-1,2026-08-01,2026-08-31,1000.00,USD,,
            I-2,C-1,2026-08-01,2026-08-31,1000.00,USD,,
            """,
        "payments.csv": """\
            payment_reference,account_number,received_date,amount,method,invoice_number,applied_amount
            P-1,C-1,2026-09-10,900.00,ach,I-1,900.00
            P-2,C-1,2026-09-10,999.99,ach,I-2,999.99
            """,
        "credit_notes.csv": """\
            credit_note_number,account_number,issue_date,amount,invoice_number,reason
            CN-1,C-1,2026-09-01,100.00,I-1,Damaged box
            """,
    })
    with db.session() as session:
        paid = _invoice(session, "I-1")
        assert open_amount(paid) == Decimal("0")
        assert invoice_status(paid, today) == "paid"
        # One cent short is not paid.
        short = _invoice(session, "I-2")
        assert open_amount(short) == Decimal("0.01")
        assert invoice_status(short, today) == "overdue"
        summary = account_summary(_customer(session, "C-1"), today)
        assert summary.open_invoice_count == 1
        assert [i.invoice_number for i in summary.open_invoices] == ["I-2"]


def test_open_dispute_puts_an_invoice_on_hold_until_resolved(db, load_ledger, today):
    load_ledger({
        "customers.csv": CUSTOMER,
        "invoices.csv": """\
            invoice_number,account_number,issue_date,due_date,amount,currency,po_number,description
            I-1,C-1,2026-09-01,2026-10-01,500.00,USD,,
            I-2,C-1,2026-09-01,2026-10-01,500.00,USD,,
            """,
        "payments.csv": """\
            payment_reference,account_number,received_date,amount,method,invoice_number,applied_amount
            P-1,C-1,2026-09-20,500.00,ach,I-2,500.00
            """,
    })
    with db.session() as session:
        invoice = _invoice(session, "I-1")
        assert invoice_status(invoice, today) == "overdue"
        session.add(Dispute(reference="DSP-TEST01", customer_id=invoice.customer_id,
                            invoice=invoice, reason="pricing", amount=Decimal("500.00")))
        session.add(Dispute(reference="DSP-TEST02", customer_id=invoice.customer_id,
                            invoice=_invoice(session, "I-2"), reason="pricing",
                            amount=Decimal("500.00")))
    with db.session() as session:
        invoice = _invoice(session, "I-1")
        assert invoice_status(invoice, today) == "disputed"
        # A paid invoice stays paid, whatever was said about it.
        assert invoice_status(_invoice(session, "I-2"), today) == "paid"
        invoice.disputes[0].status = "resolved"
    with db.session() as session:
        assert invoice_status(_invoice(session, "I-1"), today) == "overdue"


@pytest.mark.parametrize(
    ("due_in_days", "paid", "expected"),
    [
        (-1, "0", "overdue"),           # due yesterday, nothing paid
        (-1, "100.00", "overdue"),      # past due outranks partially paid
        (0, "0", "open"),               # due today is not yet overdue
        (0, "100.00", "partially_paid"),
        (10, "0", "open"),
        (10, "100.00", "partially_paid"),
    ],
)
def test_overdue_partially_paid_and_open(db, load_ledger, today, due_in_days, paid, expected):
    due = today + timedelta(days=due_in_days)
    payments = "payment_reference,account_number,received_date,amount,method,invoice_number,applied_amount\n"
    if paid != "0":
        payments += f"P-1,C-1,2026-11-01,{paid},ach,I-1,{paid}\n"
    load_ledger({
        "customers.csv": CUSTOMER,
        "invoices.csv": (
            "invoice_number,account_number,issue_date,due_date,amount,currency,po_number,"
            f"description\nI-1,C-1,2026-10-01,{due.isoformat()},400.00,USD,,\n"
        ),
        "payments.csv": payments,
    })
    with db.session() as session:
        assert invoice_status(_invoice(session, "I-1"), today) == expected


# --- aging -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [(-5, "current"), (0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"),
     (60, "31-60"), (61, "61-90"), (90, "61-90"), (91, "90+"), (400, "90+")],
)
def test_aging_bucket_boundaries(today, days_past_due, bucket):
    assert aging_bucket(today - timedelta(days=days_past_due), today) == bucket


def test_aging_of_an_account_puts_each_open_amount_in_its_bucket(db, load_ledger, today):
    days = (0, 1, 30, 31, 60, 61, 90, 91)
    rows = "".join(
        f"D{d},C-1,2026-01-01,{(today - timedelta(days=d)).isoformat()},{d + 1}.00,USD,,\n"
        for d in days
    )
    load_ledger({
        "customers.csv": CUSTOMER,
        "invoices.csv": "invoice_number,account_number,issue_date,due_date,amount,currency,"
                        "po_number,description\n" + rows,
    })
    with db.session() as session:
        summary = account_summary(_customer(session, "C-1"), today)
    assert summary.aging == {
        "current": Decimal("1.00"),             # D0
        "1-30": Decimal("2.00") + Decimal("31.00"),    # D1, D30
        "31-60": Decimal("32.00") + Decimal("61.00"),  # D31, D60
        "61-90": Decimal("62.00") + Decimal("91.00"),  # D61, D90
        "90+": Decimal("92.00"),                # D91
    }
    assert tuple(summary.aging) == AGING_BUCKETS
    assert summary.overdue_total == summary.open_total - Decimal("1.00")


# --- account summary ---------------------------------------------------------------------

SUMMARY_LEDGER = {
    "customers.csv": """\
        account_number,name,currency,payment_terms_days,credit_limit,language
        C-1,Cobalt Tools Inc,USD,30,10000.00,en
        C-2,Other Co,USD,30,,en
        """,
    "invoices.csv": """\
        invoice_number,account_number,issue_date,due_date,amount,currency,po_number,description
        I-OLD,C-1,2026-05-01,2026-05-31,500.00,USD,,oldest but paid
        I-A,C-1,2026-07-01,2026-08-01,1000.00,USD,,
        I-B,C-1,2026-09-10,2026-10-10,750.25,USD,,
        I-C,C-1,2026-10-24,2026-11-23,300.00,USD,,due today
        I-D,C-1,2026-11-20,2026-12-20,1200.00,USD,,
        X-1,C-2,2026-01-01,2026-01-31,999.00,USD,,another customer's
        """,
    "payments.csv": """\
        payment_reference,account_number,received_date,amount,method,invoice_number,applied_amount
        P-1,C-1,2026-05-30,500.00,ach,I-OLD,500.00
        P-2,C-1,2026-09-01,400.00,wire,I-A,400.00
        P-3,C-1,2026-11-21,125.00,check,,
        P-4,C-1,2026-11-20,1000.00,ach,I-D,900.00
        """,
    "credit_notes.csv": """\
        credit_note_number,account_number,issue_date,amount,invoice_number,reason
        CN-1,C-1,2026-10-01,50.25,I-B,Pricing
        CN-2,C-1,2026-10-02,80.00,,On account
        """,
}


def test_account_summary_figures(db, load_ledger, today):
    load_ledger(SUMMARY_LEDGER)
    with db.session() as session:
        summary = account_summary(_customer(session, "C-1"), today)
        # Open: I-A 600, I-B 700, I-C 300, I-D 300 (I-OLD paid; X-1 is C-2's).
        assert summary.currency == "USD"
        assert summary.open_total == Decimal("1900.00")
        assert summary.open_invoice_count == 4
        assert [i.invoice_number for i in summary.open_invoices] == ["I-A", "I-B", "I-C", "I-D"]
        # Overdue: strictly past due only; I-C is due today.
        assert summary.overdue_total == Decimal("1300.00")
        assert summary.aging == {
            "current": Decimal("600.00"),
            "1-30": Decimal("0"),
            "31-60": Decimal("700.00"),
            "61-90": Decimal("0"),
            "90+": Decimal("600.00"),
        }
        assert sum(summary.aging.values()) == summary.open_total
        # Unapplied: P-3 whole 125, P-4's 100 left over, CN-2 80.
        assert summary.unapplied_credits == Decimal("305.00")
        assert summary.net_balance == Decimal("1595.00")
        # The oldest overdue invoice still open, not the older one already paid.
        assert summary.oldest_overdue.invoice_number == "I-A"


def test_account_with_nothing_overdue_has_no_oldest_overdue(db, load_ledger, today):
    load_ledger(SUMMARY_LEDGER)
    with db.session() as session:
        summary = account_summary(_customer(session, "C-1"), date(2026, 5, 1))
        assert summary.oldest_overdue is None
        assert summary.overdue_total == Decimal("0")
        other = account_summary(_customer(session, "C-2"), today)
        assert other.open_total == Decimal("999.00")
        assert other.oldest_overdue.invoice_number == "X-1"
        assert other.unapplied_credits == Decimal("0")


# --- the demo ledger ---------------------------------------------------------------------

def test_demo_figures_for_acme_on_the_business_date(demo_db, today):
    """By hand from bot/ledger/demo_data on 2026-11-23:
    INV-2026-0088 2500.00, paid in full by ACH-558120          ->     0.00
    INV-2026-0101 4200.00, due 07-31 (115 days)                -> 4200.00  90+
    INV-2026-0142 3150.00 - 1000.00 WIRE-77031, due 09-19 (65) -> 2150.00  61-90
    INV-2026-0177 2800.00 - 200.00 CN-2026-009, due 10-15 (39) -> 2600.00  31-60
    INV-2026-0203 1875.50, due 11-04 (19 days)                 -> 1875.50  1-30
    INV-2026-0231 5400.00, due 12-02                           -> 5400.00  current
    CHK-10234 750.00 applied to nothing                        -> unapplied 750.00
    """
    with demo_db.session() as session:
        acme = _customer(session, "ACME-001")
        summary = account_summary(acme, today)
        assert summary.open_total == Decimal("16225.50")
        assert summary.overdue_total == Decimal("10825.50")
        assert summary.unapplied_credits == Decimal("750.00")
        assert summary.net_balance == Decimal("15475.50")
        assert summary.aging == {
            "current": Decimal("5400.00"),
            "1-30": Decimal("1875.50"),
            "31-60": Decimal("2600.00"),
            "61-90": Decimal("2150.00"),
            "90+": Decimal("4200.00"),
        }
        assert summary.open_invoice_count == 5
        assert summary.oldest_overdue.invoice_number == "INV-2026-0101"
        statuses = {i.invoice_number: invoice_status(i, today) for i in acme.invoices}
        assert statuses == {
            "INV-2026-0088": "paid",
            "INV-2026-0101": "overdue",
            "INV-2026-0142": "overdue",
            "INV-2026-0177": "overdue",
            "INV-2026-0203": "overdue",
            "INV-2026-0231": "open",
        }


# The summary's ledger and one invoice paid and credited beyond its amount (30.00 over).
OVERPAID_LEDGER = {
    **SUMMARY_LEDGER,
    "invoices.csv": SUMMARY_LEDGER["invoices.csv"]
    + "        I-E,C-1,2026-10-01,2026-10-31,100.00,USD,,\n",
    "payments.csv": SUMMARY_LEDGER["payments.csv"]
    + "        P-5,C-1,2026-10-20,100.00,ach,I-E,100.00\n",
    "credit_notes.csv": SUMMARY_LEDGER["credit_notes.csv"]
    + "        CN-3,C-1,2026-10-25,30.00,I-E,Damaged\n",
}


def _summaries_agree_with_each_invoice(database, today) -> list:
    """Every account's summary, checked against each invoice's own rules, read as columns
    (no invoice or payment loaded as an object)."""
    with database.session() as session:
        loaded = []
        event.listen(session, "loaded_as_persistent", lambda s, obj: loaded.append(obj))
        customers = session.scalars(select(Customer)).all()
        summaries = {c.id: account_summary(c, today) for c in customers}
        assert not [o for o in loaded if not isinstance(o, Customer)]
        for customer in customers:
            summary, invoices = summaries[customer.id], customer.invoices
            still_open = [i for i in invoices if open_amount(i) > 0]
            assert summary.open_total == sum((open_amount(i) for i in still_open), Decimal(0))
            assert [(i.invoice_number, i.open_amount) for i in summary.open_invoices] == [
                (i.invoice_number, open_amount(i))
                for i in sorted(still_open, key=lambda i: (i.due_date, i.id))]
            for bucket in AGING_BUCKETS:
                assert summary.aging[bucket] == sum(
                    (open_amount(i) for i in still_open
                     if aging_bucket(i.due_date, today) == bucket), Decimal(0))
            assert summary.unapplied_credits == (
                sum((unapplied_payment_amount(p) for p in customer.payments), Decimal(0))
                + sum((c.amount for c in customer.credit_notes if c.invoice_id is None),
                      Decimal(0))
                + sum((overpaid_amount(i) for i in invoices), Decimal(0)))
        return list(summaries.values())


def test_every_demo_account_sums_its_invoices_without_loading_them(demo_db, today):
    assert any(s.unapplied_credits for s in _summaries_agree_with_each_invoice(demo_db, today))


def test_an_invoice_paid_beyond_its_amount_counts_as_the_customers_money(
        db, load_ledger, today):
    load_ledger(OVERPAID_LEDGER)
    summaries = _summaries_agree_with_each_invoice(db, today)
    # P-3 125, P-4's 100 left over, CN-2 80 (as in the summary test), and I-E's 30 over.
    assert max(s.unapplied_credits for s in summaries) == Decimal("335.00")
