"""The one call the customer channels make into the handoff desk: after each customer turn
(the message goes to the card's thread while a handoff is open) and for each Slack event
(the AR channel's are the collectors', not customers'). Without a running desk, nothing."""

from __future__ import annotations

import logging
from typing import Any, Mapping, Optional

logger = logging.getLogger(__name__)

_desk: Optional[Any] = None  # integrations.handoff_desk.HandoffDesk, set by its channel


def register(desk: Any) -> None:
    global _desk
    _desk = desk


def desk() -> Optional[Any]:
    return _desk


async def customer_turn(conversation_id: str, channel: str, address: str, text: str) -> None:
    """Call after the bot handled a customer's message (its replies already on their way)."""
    if _desk is None:
        return
    try:
        await _desk.customer_turn(conversation_id, channel, address, text)
    except Exception:  # the customer's turn is done whatever happens to the thread
        logger.exception("handoff: the customer's turn could not reach the AR thread")


def takes_slack_event(payload: Mapping[str, Any]) -> bool:
    """Whether a Slack event belongs to the AR channel; if so it is handled (in the
    background) and must not be answered as a customer's message."""
    event = payload.get("event")
    if _desk is None or not isinstance(event, Mapping) or not _desk.is_ar_event(dict(event)):
        return False
    _desk.in_background(_desk.collector_event(dict(payload)))
    return True
