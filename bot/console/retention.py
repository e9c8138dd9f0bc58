"""Transcripts kept no longer than TRANSCRIPT_RETENTION_DAYS, and a contact's conversations
erased on request; both leave an audit entry, not the data."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.console import tracker_events
from bot.console.audit import audit
from bot.console.indexer import TranscriptIndex
from bot.console.models import ConversationTag, IndexedConversation, MessageReview
from bot.ledger.models import Contact


def _drop_console_data(session: Session, conversation_ids: list[str], reviews: bool) -> None:
    if conversation_ids:
        session.execute(delete(ConversationTag).where(ConversationTag.conversation_id.in_(conversation_ids)))
    if conversation_ids and reviews:
        session.execute(delete(MessageReview).where(MessageReview.conversation_id.in_(conversation_ids)))


def purge(index: TranscriptIndex, now: datetime, retention_days: int) -> int:
    """Delete the conversations whose last message is older than the retention; how many.
    Reviewed messages stay: a reviewer made them training data, no longer a transcript."""
    cutoff = now - timedelta(days=retention_days)
    old = tracker_events.senders_last_active_before(index.tracker, cutoff)
    with index.database.session() as session:
        _drop_console_data(session, old, reviews=False)
        index.erase(session, old)
        audit(session, "retention", "transcripts_purged", None,
              {"conversations": len(old), "older_than": cutoff.isoformat()})
    return len(old)


def contact_conversations(session: Session, conversation: IndexedConversation) -> list[str]:
    """Every conversation of the contact behind this one: by their contact record (its
    phone, WhatsApp and Slack ids too), else this conversation alone."""
    ids = {conversation.conversation_id}
    if conversation.contact_id is not None:
        contact = session.get(Contact, conversation.contact_id)
        senders = {s for s in (contact.phone, contact.slack_user_id) if s} if contact else set()
        senders |= {f"whatsapp:{contact.phone}"} if contact and contact.phone else set()
        ids |= set(session.scalars(select(IndexedConversation.conversation_id).where(or_(
            IndexedConversation.contact_id == conversation.contact_id,
            IndexedConversation.conversation_id.in_(senders)))))
    return sorted(ids)


def erase_contact(index: TranscriptIndex, session: Session, conversation: IndexedConversation,
                  by: str) -> int:
    """Erase the contact's conversations from the tracker store and the console; the audit
    keeps who erased how many, and for which contact record, never what was said. Their
    reviewed messages go too (the caller rewrites the training data)."""
    ids = contact_conversations(session, conversation)
    contact_id = conversation.contact_id
    _drop_console_data(session, ids, reviews=True)
    events = index.erase(session, ids)
    audit(session, by, "contact_erased", f"contact:{contact_id}" if contact_id else "conversation",
          {"conversations": len(ids), "events": events})
    return len(ids)
