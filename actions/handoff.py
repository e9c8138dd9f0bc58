"""Handing the conversation to an AR collector, for every action that needs a person:
the core records it with its snapshot; the customer is told when to expect someone."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Optional

from sqlalchemy.orm import Session

from rasa_sdk import Action
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted

from actions.base import Turn, ar_app, caller_of
from bot.handoff.desk import hand_over
from bot.handoff.service import owned_by_a_person
from bot.handoff.texts import opening_phrase
from integrations.action_calls import events_before


def hand_to_person(turn: Turn, reason: str, detail: Optional[str] = None,
                   session: Optional[Session] = None) -> str:
    """Record the handoff (in the action's own session, when it has one) and tell the
    customer; its reference."""
    app = ar_app()
    tracker = turn.tracker
    with (nullcontext(session) if session is not None else app.session()) as session:
        caller = caller_of(session, tracker)
        handover = hand_over(session, app.settings, caller, tracker.sender_id, reason,
                             tracker.events, tracker.get_latest_input_channel(),
                             tracker.latest_message.get("metadata"), turn.language,
                             app.now(), app.today(), detail,
                             earlier_events=events_before(tracker))
    if not handover.created:
        turn.say("utter_handoff_already_waiting", reference=handover.reference)
    elif handover.opens is not None:
        turn.say("utter_handoff_recorded_after_hours", reference=handover.reference,
                 opens=opening_phrase(handover.opens, turn.language))
    else:
        turn.say("utter_handoff_recorded", reference=handover.reference)
    return handover.reference


class ActionSessionStart(Action):
    """A new session (after SESSION_EXPIRATION) resets the tracker, pause included: while
    a collector owns the conversation it stays paused, so the bot never talks over them."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher, tracker, domain):
        import asyncio

        def owned() -> bool:
            with ar_app().session() as session:
                return owned_by_a_person(session, tracker.sender_id)

        events = [SessionStarted()]
        if await asyncio.to_thread(owned):
            events.append(ConversationPaused())
        return events + [ActionExecuted("action_listen")]
