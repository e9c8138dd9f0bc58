"""Requests for a person: recorded with why, for AR collectors to pick up."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.ledger.audit import record
from bot.ledger.models import HandoffRequest
from bot.ledger.references import new_reference

HANDOFF_REASONS = ("customer_asked", "misunderstanding", "verification_locked")


def request_handoff(session: Session, conversation_id: str, caller: Optional[Caller],
                    reason: str) -> tuple[HandoffRequest, bool]:
    """Open a handoff for the conversation, or return the one already waiting."""
    waiting = session.scalars(
        select(HandoffRequest).where(HandoffRequest.conversation_id == conversation_id,
                                     HandoffRequest.status == "requested")
    ).first()
    if waiting:
        return waiting, False
    handoff = HandoffRequest(reference=new_reference("HND"), conversation_id=conversation_id,
                             customer_id=caller.customer_id if caller else None,
                             contact_id=caller.contact_id if caller else None, reason=reason)
    session.add(handoff)
    session.flush()
    record(session, actor=caller.actor if caller else f"conversation:{conversation_id}",
           action="handoff_requested", entity="handoff", entity_id=handoff.id,
           details={"reference": handoff.reference, "reason": reason})
    return handoff, True
