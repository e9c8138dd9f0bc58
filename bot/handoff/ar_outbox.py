"""What goes to the AR channel in Slack waits in the outbox (bot.messaging.channel_store)
like every reply: the card, its updates, thread lines and reactions, one queue per
handoff so they arrive in order and a Slack outage delays them but loses none."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.ledger.models import HandoffRequest
from bot.messaging.channel_store import AR_TEAM_CHANNEL, queue_replies

AR_CHANNEL = AR_TEAM_CHANNEL
KINDS = ("card", "update", "thread", "reaction", "reannounce")


def queue(session: Session, handoff: HandoffRequest, kind: str, now: datetime,
          **fields: Any) -> None:
    """Queue one post about the handoff (its reference is the outbox recipient)."""
    if kind not in KINDS:
        raise ValueError(f"unknown AR post {kind!r}")
    queue_replies(session, AR_CHANNEL, handoff.reference,
                  [json.dumps({"kind": kind, **fields}, ensure_ascii=False)], now)


def parse(body: str) -> dict[str, Any]:
    return json.loads(body)
