"""Waiting until a message a test sent through a provider's webhook has been answered: the
webhook acknowledges before the turn runs, so a test reads the replies only once the
sender's kept messages are answered (or parked behind the rate limit or the assistant
being down) and the first reply waiting for them has been tried (sent, or failed and
waiting for its retry: Twilio or Slack down). Read from the ledger database, as the
servers share it."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from bot.ledger.models import OutboundMessage
from bot.messaging import held_messages
from bot.runtime.app import ARApp
from tests.fakes.waiting import until

ANSWERED_WITHIN = 90.0  # seconds: a turn on a loaded 2-core machine, with room to spare


def answered(app: ARApp, channel: str, sender: str,
             outbox: Optional[tuple[str, str]] = None) -> bool:
    """Whether the sender's messages on channel are all answered or parked, and nothing
    queued for them (outbox: (channel, recipient), by default the sender's own) waits
    for its first try."""
    outbox_channel, recipient = outbox or (channel, sender)
    with app.session() as session:
        if not held_messages.settled(session, channel, sender, app.now()):
            return False
        first_unsent = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.channel == outbox_channel,
                   OutboundMessage.recipient == recipient,
                   OutboundMessage.status == "pending")
            .order_by(OutboundMessage.id).limit(1)).first()
        return first_unsent is None or (first_unsent.attempts > 0
                                        and first_unsent.claimed_until is None)


def wait_until_answered(app: ARApp, channel: str, sender: str,
                        outbox: Optional[tuple[str, str]] = None,
                        timeout: float = ANSWERED_WITHIN) -> None:
    assert until(lambda: answered(app, channel, sender, outbox), timeout), (
        f"the {channel} message of {sender} was not answered within {timeout:.0f} s")
