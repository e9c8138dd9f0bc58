"""The context a collector gets with a handoff, frozen when it is requested: who, which
account, balance and aging, open disputes, plans and promises, language, why, the last
messages and what the bot already did. Plain JSON, so the card renders it anywhere."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterable, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation.formatting import day, money
from bot.conversation.identity import Caller
from bot.handoff import transcript
from bot.ledger.figures import AGING_BUCKETS, account_summary
from bot.ledger.models import Contact, Customer, Dispute, PaymentPlan, PromiseToPay

RECENT_MESSAGES = 12
REFERENCE = re.compile(r"\b(?:DSP|PLN|PTP|DOC|CHG|HND|CON)-[2-9A-HJ-NP-Z]{6}\b")
# What each of our actions means a customer was told, for the card.
ACTION_SUMMARIES = {
    "action_tell_balance": "gave the account balance",
    "action_tell_invoice_status": "gave an invoice's status",
    "action_tell_payment_status": "looked up a payment",
    "action_send_invoice_copy": "queued an invoice copy",
    "action_send_statement": "queued a statement",
    "action_give_payment_options": "gave the payment link and bank details",
    "action_submit_payment_plan": "took a payment plan request",
    "action_submit_dispute": "opened a dispute",
    "action_submit_promise": "recorded a promise to pay",
    "action_submit_contact_preference": "took a contact change",
    "validate_identity_form": "asked the customer to verify",
}


def _account(customer: Customer, today: date) -> dict[str, Any]:
    summary = account_summary(customer, today)
    cur = customer.currency
    oldest = summary.oldest_overdue
    return {
        "open_total": money(summary.open_total, cur),
        "overdue_total": money(summary.overdue_total, cur),
        "unapplied_credits": money(summary.unapplied_credits, cur),
        "aging": {bucket: money(summary.aging[bucket], cur) for bucket in AGING_BUCKETS},
        "open_invoice_count": summary.open_invoice_count,
        "oldest_overdue": (f"{oldest.invoice_number}, due {day(oldest.due_date)}, "
                           f"{money(oldest.open_amount, cur)} open") if oldest else None,
    }


def _disputes(session: Session, customer: Customer) -> list[str]:
    rows = session.scalars(select(Dispute).where(Dispute.customer_id == customer.id,
                                                 Dispute.status == "open"))
    return [f"{d.reference}: {d.invoice.invoice_number}, {money(d.amount, customer.currency)}, "
            f"{d.reason.replace('_', ' ')}" for d in rows]


def _plans(session: Session, customer: Customer) -> list[str]:
    rows = session.scalars(select(PaymentPlan).where(
        PaymentPlan.customer_id == customer.id,
        PaymentPlan.status.in_(("approved", "pending_approval", "broken"))))
    return [f"{p.reference}: {money(p.total_amount, customer.currency)} in "
            f"{p.instalment_count} from {day(p.start_date)}, {p.status.replace('_', ' ')}"
            for p in rows]


def _promises(session: Session, customer: Customer) -> list[str]:
    rows = session.scalars(select(PromiseToPay).where(PromiseToPay.customer_id == customer.id,
                                                      PromiseToPay.status.in_(("open", "broken"))))
    return [f"{p.reference}: {money(p.amount, customer.currency)} by {day(p.promised_date)}, "
            f"{p.status}" for p in rows]


def bot_did(events: list[Mapping[str, Any]], said: list[dict[str, Any]]) -> list[str]:
    """What the bot already did: capabilities run and references it gave out."""
    done = [ACTION_SUMMARIES[name] for name in transcript.actions_run(events)
            if name in ACTION_SUMMARIES]
    references = [ref for m in said if m["who"] == "bot" for ref in REFERENCE.findall(m["text"])]
    if references:
        done.append("references given: " + ", ".join(dict.fromkeys(references)))
    return list(dict.fromkeys(done))


def take_snapshot(session: Session, caller: Optional[Caller], reason: str, channel: str,
                  language: str, events: Iterable[Mapping[str, Any]], today: date,
                  detail: Optional[str] = None) -> dict[str, Any]:
    events = list(events)
    said = transcript.messages(events, today)
    snapshot: dict[str, Any] = {
        "reason": reason, "detail": detail, "channel": channel, "language": language,
        "customer": None, "contact": None, "account": None, "disputes": [], "plans": [],
        "promises": [], "messages": said[-RECENT_MESSAGES:], "bot_did": bot_did(events, said),
    }
    if caller is None:
        return snapshot
    customer = session.get(Customer, caller.customer_id)
    snapshot["customer"] = {"name": customer.name, "account_number": customer.account_number,
                            "currency": customer.currency,
                            "collector_slack_id": customer.collector_slack_id}
    if caller.contact_id:
        contact = session.get(Contact, caller.contact_id)
        snapshot["contact"] = {"name": contact.name, "phone": contact.phone,
                               "email": contact.email, "verified_by": caller.verified_by}
    else:
        snapshot["contact"] = {"name": None, "phone": None, "email": None,
                               "verified_by": caller.verified_by}
    snapshot.update(account=_account(customer, today), disputes=_disputes(session, customer),
                    plans=_plans(session, customer), promises=_promises(session, customer))
    return snapshot
