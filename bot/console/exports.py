"""Conversations exported as CSV or JSON, contact details masked unless the role may see them."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.masking import shown
from bot.console.models import ConversationTag, IndexedConversation, IndexedMessage
from bot.ledger.models import Customer

CSV_COLUMNS = ("conversation", "customer", "channel", "language", "outcome", "at", "speaker",
               "collector", "text", "intent", "confidence", "entities", "actions")


def conversation_label(conversation: IndexedConversation, may_see: bool) -> str:
    return shown(conversation.conversation_id, may_see)


def _entities(entities: list[dict], may_see: bool) -> list[dict]:
    return [{**e, "value": shown(str(e.get("value", "")), may_see)} for e in entities]


def export_records(session: Session, conversations: list[IndexedConversation], may_see: bool
                   ) -> list[dict[str, Any]]:
    customers = {c.id: c for c in session.scalars(select(Customer))}
    records = []
    for conversation in conversations:
        customer = customers.get(conversation.customer_id)
        messages = session.scalars(select(IndexedMessage).where(
            IndexedMessage.conversation_id == conversation.conversation_id)
            .order_by(IndexedMessage.event_id))
        tags = sorted(session.scalars(select(ConversationTag.tag).where(
            ConversationTag.conversation_id == conversation.conversation_id)))
        records.append({
            "conversation": conversation_label(conversation, may_see),
            "customer": f"{customer.account_number} {customer.name}" if customer else None,
            "channel": conversation.channel, "language": conversation.language,
            "outcome": conversation.outcome, "handed_off": conversation.handed_off,
            "started_at": conversation.started_at.isoformat(),
            "last_at": conversation.last_at.isoformat(), "tags": tags,
            "reviewed": conversation.reviewed, "note": shown(conversation.note or "", may_see),
            "references": conversation.references,
            "messages": [{
                "at": m.at.isoformat(), "speaker": m.speaker, "collector": m.collector,
                "text": shown(m.text, may_see), "intent": m.intent, "confidence": m.confidence,
                "entities": _entities(m.entities, may_see), "actions": m.actions,
            } for m in messages],
        })
    return records


def as_json(records: list[dict[str, Any]]) -> str:
    return json.dumps({"conversations": records}, ensure_ascii=False, indent=1)


def as_csv(records: list[dict[str, Any]]) -> str:
    """One row per message, the conversation's fields repeated on each."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for record in records:
        for m in record["messages"]:
            writer.writerow({
                "conversation": record["conversation"], "customer": record["customer"] or "",
                "channel": record["channel"] or "", "language": record["language"] or "",
                "outcome": record["outcome"], "at": m["at"], "speaker": m["speaker"],
                "collector": m["collector"] or "", "text": _safe_cell(m["text"]),
                "intent": m["intent"] or "",
                "confidence": "" if m["confidence"] is None else f"{m['confidence']:.3f}",
                "entities": json.dumps(m["entities"], ensure_ascii=False),
                "actions": " ".join(m["actions"])})
    return out.getvalue()


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @) is quoted as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
