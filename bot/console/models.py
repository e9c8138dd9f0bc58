"""The console's own tables (users, sessions, index of transcripts, tags, reviews, audit),
kept in the AR database beside the ledger; migration 0003_console creates them."""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Float, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import declarative_base

from bot.ledger.models import AwareDateTime, utcnow

ConsoleBase = declarative_base()

ROLES = ("admin", "manager", "collector")


class ConsoleUser(ConsoleBase):
    __tablename__ = "console_users"
    id = Column(Integer, primary_key=True)
    username = Column(String(80), nullable=False, unique=True)
    role = Column(String(20), nullable=False)  # admin | manager | collector
    password_hash = Column(String(200), nullable=False)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(AwareDateTime, nullable=True)
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)


class ConsoleSession(ConsoleBase):
    """A login: the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "console_sessions"
    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)
    expires_at = Column(AwareDateTime, nullable=False)


class IndexedConversation(ConsoleBase):
    """One conversation (a tracker sender id) as the console lists and filters it."""

    __tablename__ = "console_conversations"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, unique=True)
    channel = Column(String(40), nullable=True, index=True)
    language = Column(String(5), nullable=True, index=True)
    customer_id = Column(Integer, nullable=True, index=True)
    contact_id = Column(Integer, nullable=True, index=True)
    started_at = Column(AwareDateTime, nullable=False)
    last_at = Column(AwareDateTime, nullable=False, index=True)
    customer_messages = Column(Integer, nullable=False, default=0)
    bot_messages = Column(Integer, nullable=False, default=0)
    collector_messages = Column(Integer, nullable=False, default=0)
    intents = Column(Text, nullable=False, default=" ")  # " intent_a intent_b " for matching
    handed_off = Column(Boolean, nullable=False, default=False)
    outcome = Column(String(20), nullable=False)  # self_served | handed_off | unresolved
    min_confidence = Column(Float, nullable=True)
    low_confidence_count = Column(Integer, nullable=False, default=0)
    fallback_count = Column(Integer, nullable=False, default=0)
    frustrated = Column(Boolean, nullable=False, default=False)
    references = Column(JSON, nullable=False, default=list)  # DSP-, PLN-, PTP-, DOC-, HND-, CHG-
    last_event_id = Column(Integer, nullable=False, default=0)
    reviewed = Column(Boolean, nullable=False, default=False)
    reviewed_by = Column(String(80), nullable=True)
    note = Column(Text, nullable=True)


class IndexedMessage(ConsoleBase):
    """A message said in a conversation, by the customer, the bot or a collector."""

    __tablename__ = "console_messages"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    event_id = Column(Integer, nullable=False, unique=True)  # events.id in the tracker store
    at = Column(AwareDateTime, nullable=False, index=True)
    speaker = Column(String(20), nullable=False)  # customer | bot | collector
    collector = Column(String(120), nullable=True)
    text = Column(Text, nullable=False, default="")
    channel = Column(String(40), nullable=True)
    language = Column(String(5), nullable=True)
    intent = Column(String(80), nullable=True, index=True)
    confidence = Column(Float, nullable=True)
    # The next intents of the classifier's ranking: the likeliest corrections.
    alternatives = Column(JSON, nullable=False, default=list)
    entities = Column(JSON, nullable=False, default=list)
    actions = Column(JSON, nullable=False, default=list)  # actions run in answer to it
    fallback = Column(Boolean, nullable=False, default=False)
    low_confidence = Column(Boolean, nullable=False, default=False)
    corrected_by_customer = Column(Boolean, nullable=False, default=False)


class ConversationTag(ConsoleBase):
    __tablename__ = "console_tags"
    __table_args__ = (UniqueConstraint("conversation_id", "tag"),)
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    tag = Column(String(40), nullable=False, index=True)


class MessageReview(ConsoleBase):
    """A reviewer's verdict on what a customer's message meant: training data to be."""

    __tablename__ = "console_reviews"
    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, nullable=False, unique=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    text = Column(Text, nullable=False)
    language = Column(String(5), nullable=False)
    predicted_intent = Column(String(80), nullable=True)
    intent = Column(String(80), nullable=False)
    entities = Column(JSON, nullable=False, default=list)  # [{"entity", "value", "start", "end"}]
    verdict = Column(String(20), nullable=False)  # confirmed | corrected
    reviewer = Column(String(80), nullable=False)
    at = Column(AwareDateTime, nullable=False, default=utcnow)


class SavedFilter(ConsoleBase):
    __tablename__ = "console_saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id = Column(Integer, primary_key=True)
    user_id = Column(ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False)
    name = Column(String(80), nullable=False)
    query = Column(Text, nullable=False)  # the list page's query string


class ConsoleAuditEntry(ConsoleBase):
    """Who looked at, exported, reviewed or erased what; kept when the data goes."""

    __tablename__ = "console_audit"
    id = Column(Integer, primary_key=True)
    at = Column(AwareDateTime, nullable=False, default=utcnow, index=True)
    username = Column(String(80), nullable=False)
    action = Column(String(40), nullable=False)
    target = Column(String(255), nullable=True)
    details = Column(JSON, nullable=False, default=dict)


class IndexState(ConsoleBase):
    """How far the index has read the tracker store's events table."""

    __tablename__ = "console_index_state"
    id = Column(Integer, primary_key=True)
    last_event_id = Column(Integer, nullable=False, default=0)
