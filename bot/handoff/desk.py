"""Handing a conversation over: the snapshot taken, the handoff recorded, its card queued
for the AR channel, and what to tell the customer about when a person will answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Optional

from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.handoff import ar_outbox
from bot.handoff.addresses import reply_address
from bot.handoff.office_hours import OfficeHours
from bot.handoff.service import request_handoff
from bot.handoff.snapshot import take_snapshot
from bot.settings import Settings


@dataclass(frozen=True)
class Handover:
    reference: str
    created: bool
    opens: Optional[datetime]  # when the AR team is next in, if it is closed now


def hand_over(session: Session, settings: Settings, caller: Optional[Caller],
              conversation_id: str, reason: str, events: Iterable[Mapping[str, Any]],
              input_channel: Optional[str], metadata: Optional[Mapping[str, Any]],
              language: str, now: datetime, today: date,
              detail: Optional[str] = None, earlier_events: int = 0) -> Handover:
    """Record a handoff from the session's events (the recent ones, after earlier_events
    not given) and queue its card."""
    events = list(events)
    channel, address = reply_address(input_channel, conversation_id, metadata)
    snapshot = take_snapshot(session, caller, reason, channel, language, events, today,
                             detail)
    handoff, created = request_handoff(session, conversation_id, caller, reason,
                                       channel=channel, address=address, language=language,
                                       snapshot=snapshot, now=now,
                                       events_seen=earlier_events + len(events))
    if created and settings.slack_handoff_channel:
        ar_outbox.queue(session, handoff, "card", now)
    hours = OfficeHours.parse(settings.office_hours)
    opens = None if hours.is_open(now) else hours.next_opening(now)
    return Handover(handoff.reference, created, opens)
