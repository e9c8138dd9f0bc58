"""Keeps the console's index of transcripts up to date from the tracker store's events:
only conversations with events newer than the last pass are read again."""

from __future__ import annotations

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from bot.console import tracker_events
from bot.console.ledger_links import handoffs_of, resolve_party
from bot.console.models import IndexedConversation, IndexedMessage, IndexState
from bot.console.transcript import Transcript, read_transcript
from bot.db import Database, engine_for

BATCH_EVENTS = 5000


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _drop_messages(session: Session, conversation_id: str) -> None:
    ids = list(session.scalars(select(IndexedMessage.id).where(
        IndexedMessage.conversation_id == conversation_id)))
    if ids and _dialect(session) == "sqlite":
        session.execute(text("DELETE FROM console_message_fts WHERE rowid IN (%s)"
                             % ",".join(str(int(i)) for i in ids)))
    session.execute(delete(IndexedMessage).where(IndexedMessage.conversation_id == conversation_id))


def forget(session: Session, conversation_id: str) -> None:
    """Remove a conversation from the index (erasure, retention)."""
    _drop_messages(session, conversation_id)
    session.execute(delete(IndexedConversation).where(
        IndexedConversation.conversation_id == conversation_id))


def _store(session: Session, transcript: Transcript) -> None:
    party = resolve_party(session, transcript.conversation_id, transcript.channel)
    handoffs = handoffs_of(session, transcript.conversation_id)
    customer = transcript.of("customer")
    confidences = [m.confidence for m in customer if m.confidence is not None]
    conversation = session.scalars(select(IndexedConversation).where(
        IndexedConversation.conversation_id == transcript.conversation_id)).first()
    if conversation is None:  # tags, note and reviewed mark of a known one are kept
        conversation = IndexedConversation(conversation_id=transcript.conversation_id)
    handed_off = transcript.handed_off or bool(handoffs)
    conversation.channel = transcript.channel
    conversation.language = transcript.language
    conversation.customer_id, conversation.contact_id = party.customer_id, party.contact_id
    conversation.started_at, conversation.last_at = transcript.started_at, transcript.last_at
    conversation.customer_messages = len(customer)
    conversation.bot_messages = len(transcript.of("bot"))
    conversation.collector_messages = len(transcript.of("collector"))
    conversation.intents = " " + " ".join(sorted({m.intent for m in customer if m.intent})) + " "
    conversation.handed_off = handed_off
    # Self-served needs an answer the customer could be given: an answering action for a
    # caller the assistant identified (an unverified visitor only ever hears "who are you?").
    conversation.outcome = ("handed_off" if handed_off else "self_served"
                            if transcript.self_served and party.customer_id else "unresolved")
    conversation.min_confidence = min(confidences) if confidences else None
    conversation.low_confidence_count = sum(m.low_confidence for m in customer)
    conversation.fallback_count = sum(m.fallback for m in customer)
    conversation.frustrated = transcript.frustrated or any(
        h.reason == "frustration" for h in handoffs)
    conversation.references = transcript.references
    conversation.last_event_id = transcript.last_event_id
    session.add(conversation)
    _drop_messages(session, transcript.conversation_id)
    rows = [IndexedMessage(
        conversation_id=transcript.conversation_id, event_id=m.event_id, at=m.at,
        speaker=m.speaker, collector=m.collector, text=m.text, channel=m.channel,
        language=m.language, intent=m.intent, confidence=m.confidence,
        alternatives=m.alternatives, entities=m.entities,
        actions=m.actions, fallback=m.fallback, low_confidence=m.low_confidence,
        corrected_by_customer=m.corrected_by_customer) for m in transcript.messages]
    session.add_all(rows)
    session.flush()
    if _dialect(session) == "sqlite":
        session.execute(text("INSERT INTO console_message_fts(rowid, text) VALUES (:id, :text)"),
                        [{"id": row.id, "text": row.text} for row in rows if row.text])


class TranscriptIndex:
    """The index over one tracker store, kept in the AR database."""

    def __init__(self, database: Database, tracker_url: str, low_confidence: float):
        self.database = database
        self.tracker = engine_for(tracker_url)
        self.low_confidence = low_confidence
        tracker_events.ensure_table(self.tracker)

    def refresh(self) -> int:
        """Read what is new in the tracker store; the number of conversations updated."""
        updated = 0
        while True:
            with self.database.session() as session:
                state = session.get(IndexState, 1) or IndexState(id=1, last_event_id=0)
                session.add(state)
                senders, newest = tracker_events.senders_with_events_after(
                    self.tracker, state.last_event_id, BATCH_EVENTS)
                if not senders:
                    return updated
                for sender in senders:
                    events = tracker_events.conversation_events(self.tracker, sender)
                    transcript = read_transcript(sender, events, self.low_confidence)
                    if transcript is None:
                        forget(session, sender)
                    else:
                        _store(session, transcript)
                        updated += 1
                state.last_event_id = newest

    def erase(self, session: Session, conversation_ids: list[str]) -> int:
        """Delete conversations from the tracker store and from the index; events deleted."""
        for conversation_id in conversation_ids:
            forget(session, conversation_id)
        return tracker_events.delete_conversations(self.tracker, conversation_ids)
