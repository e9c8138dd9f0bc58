"""Why a conversation goes to a person: the reasons recorded, and how the card names them."""

from __future__ import annotations

REASONS = {
    "customer_asked": "The customer asked for a person",
    "misunderstanding": "The bot misunderstood the customer twice in a row",
    "dispute_over_threshold": "A dispute above the handoff threshold",
    "plan_outside_policy": "A payment plan outside policy",
    "documents_new_address": "Documents asked for at an address not on file",
    "verification_locked": "Verification locked after failed attempts",
    "frustration": "The customer sounds frustrated",
}

OUTCOMES = {
    "paid": "Payment arranged",
    "plan_agreed": "Payment plan agreed",
    "dispute_handled": "Dispute handled",
    "information_given": "Information given",
    "no_response": "No response from the customer",
    "other": "Other",
}


def reason_label(reason: str) -> str:
    return REASONS.get(reason, reason.replace("_", " ").capitalize())


def outcome_label(outcome: str) -> str:
    return OUTCOMES.get(outcome, outcome.replace("_", " ").capitalize())
