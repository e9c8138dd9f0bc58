"""Finding conversations: the list's filters and full-text search over what was said,
through the database's own index (FTS5 on SQLite, tsvector on PostgreSQL)."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping, Optional
from urllib.parse import urlencode

from sqlalchemy import Integer, and_, column, func, or_, select, text
from sqlalchemy.orm import Session

from bot.console.models import ConversationTag, IndexedConversation, IndexedMessage
from bot.ledger.models import Customer

PAGE_SIZE = 25
YES_NO = ("", "yes", "no")
OUTCOMES = ("self_served", "handed_off", "unresolved")


class FilterError(ValueError):
    """A filter a person typed that cannot be read; its message says which and why."""


@dataclass(frozen=True)
class Filters:
    date_from: str = ""
    date_to: str = ""
    customer: str = ""
    channel: str = ""
    language: str = ""
    intent: str = ""
    handed_off: str = ""
    outcome: str = ""
    low_confidence: str = ""
    frustrated: str = ""
    tag: str = ""
    reviewed: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> "Filters":
        values = {f.name: (args.get(f.name) or "").strip()[:200] for f in fields(cls)}
        filters = cls(**values)
        for name in ("date_from", "date_to"):
            if getattr(filters, name):
                try:
                    date.fromisoformat(getattr(filters, name))
                except ValueError:
                    raise FilterError(f"{name.replace('_', ' ')}: use a date like 2026-11-23")
        for name in ("handed_off", "low_confidence", "frustrated", "reviewed"):
            if getattr(filters, name) not in YES_NO:
                raise FilterError(f"{name.replace('_', ' ')}: yes or no")
        if filters.outcome and filters.outcome not in OUTCOMES:
            raise FilterError(f"outcome: one of {', '.join(OUTCOMES)}")
        return filters

    def query_string(self, **extra) -> str:
        values = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}
        values.update({k: v for k, v in extra.items() if v})
        return urlencode(values)

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def _tokens(words: str) -> list[str]:
    return re.findall(r"\w+", words, flags=re.UNICODE)[:20]


def _fts5_query(words: str) -> str:
    """Each word a quoted FTS5 prefix ("disput" finds "disputar"); every word must occur,
    and nothing typed is read as an operator."""
    return " ".join('"%s"*' % token.replace('"', '""') for token in _tokens(words))


def _tsquery(words: str) -> str:
    """The same for PostgreSQL: word:* & word:* (words are letters and digits only)."""
    return " & ".join(f"{token}:*" for token in _tokens(words))


def matching_message_ids(session: Session, words: str):
    """A subquery of console_messages ids whose text matches every word."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return text("SELECT rowid FROM console_message_fts WHERE console_message_fts MATCH :fts"
                    ).bindparams(fts=_fts5_query(words) or '""').columns(column("rowid", Integer))
    if dialect == "postgresql":
        return select(IndexedMessage.id).where(
            func.to_tsvector("simple", IndexedMessage.text).op("@@")(
                func.to_tsquery("simple", _tsquery(words))))
    raise RuntimeError(f"full-text search needs SQLite or PostgreSQL, not {dialect}")


def _day_start(value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value), time.min, tzinfo=timezone.utc)


def build_query(session: Session, filters: Filters):
    c = IndexedConversation
    query = select(c)
    where = []
    if filters.date_from:
        where.append(c.started_at >= _day_start(filters.date_from))
    if filters.date_to:
        where.append(c.started_at < _day_start(filters.date_to) + timedelta(days=1))
    if filters.customer:
        needle = f"%{filters.customer.lower()}%"
        customers = select(Customer.id).where(or_(func.lower(Customer.account_number).like(needle),
                                                  func.lower(Customer.name).like(needle)))
        where.append(c.customer_id.in_(customers))
    if filters.channel:
        where.append(c.channel == filters.channel)
    if filters.language:
        where.append(c.language == filters.language)
    if filters.intent:
        where.append(c.intents.like(f"% {filters.intent} %"))
    if filters.handed_off:
        where.append(c.handed_off.is_(filters.handed_off == "yes"))
    if filters.outcome:
        where.append(c.outcome == filters.outcome)
    if filters.low_confidence == "yes":
        where.append(or_(c.low_confidence_count > 0, c.fallback_count > 0))
    elif filters.low_confidence == "no":
        where.append(and_(c.low_confidence_count == 0, c.fallback_count == 0))
    if filters.frustrated:
        where.append(c.frustrated.is_(filters.frustrated == "yes"))
    if filters.tag:
        where.append(c.conversation_id.in_(select(ConversationTag.conversation_id).where(
            ConversationTag.tag == filters.tag.lower())))
    if filters.reviewed:
        where.append(c.reviewed.is_(filters.reviewed == "yes"))
    if filters.q and re.search(r"\w", filters.q):
        where.append(c.conversation_id.in_(select(IndexedMessage.conversation_id).where(
            IndexedMessage.id.in_(matching_message_ids(session, filters.q)))))
    return query.where(*where)


@dataclass
class Page:
    conversations: list[IndexedConversation]
    number: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def find_conversations(session: Session, filters: Filters, page: int = 1,
                       page_size: Optional[int] = PAGE_SIZE) -> Page:
    """Newest first; page_size None: all of them (exports)."""
    query = build_query(session, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    ordered = query.order_by(IndexedConversation.last_at.desc(), IndexedConversation.id.desc())
    if page_size is not None:
        ordered = ordered.limit(page_size).offset((max(page, 1) - 1) * page_size)
    return Page(list(session.scalars(ordered)), max(page, 1), total)


def facet_values(session: Session) -> dict[str, list[str]]:
    """The values the list's drop-downs offer: what the index holds."""
    c = IndexedConversation

    def distinct(column) -> list[str]:
        return sorted(v for v in session.scalars(select(column).distinct()) if v)

    intents = sorted({i for row in session.scalars(select(c.intents)) for i in row.split()})
    return {"channel": distinct(c.channel), "language": distinct(c.language),
            "intent": intents, "tag": distinct(ConversationTag.tag)}
