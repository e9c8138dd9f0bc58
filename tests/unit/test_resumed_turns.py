"""A kept message taken over from a server that died mid-turn is answered once
(integrations/resumed_turns.py): handled again when the dead server had not saved its
turn, its recorded answer given again when it had. Rasa's own tracker store and events."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from integrations.resumed_turns import answer_once
from integrations.rest_channel import DELIVERY_KEY

JANE = "+14155550101"


def request_with(events) -> SimpleNamespace:
    store = InMemoryTrackerStore(Domain.empty())
    asyncio.run(store.save(DialogueStateTracker.from_events(JANE, events)))
    return SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(
        agent=SimpleNamespace(tracker_store=store))))


def answered(request, delivery: str, resumed: bool) -> tuple[list, list]:
    """(what reached the assistant, what the output channel was sent)."""
    heard, output = [], CollectingOutputChannel()

    async def assistant(message: UserMessage) -> None:
        heard.append(message.text)

    asyncio.run(answer_once(request, UserMessage("what do we owe?", output, JANE,
                                                 metadata={DELIVERY_KEY: delivery}),
                            assistant, resumed))
    return heard, [m["text"] for m in output.messages]


SAVED_TURN = [ActionExecuted("action_listen"),
              UserUttered("what do we owe?", metadata={DELIVERY_KEY: "SM1"}),
              BotUttered("Acme Corporation has $16,225.50 open"),
              ActionExecuted("action_listen")]


def test_a_turn_the_dead_server_had_saved_gets_its_recorded_answer_not_a_second_turn():
    assert answered(request_with(SAVED_TURN), "SM1", resumed=True) == (
        [], ["Acme Corporation has $16,225.50 open"])


def test_a_turn_the_dead_server_had_not_saved_is_handled():
    assert answered(request_with(SAVED_TURN), "SM2", resumed=True) == (["what do we owe?"], [])


def test_a_message_not_taken_over_goes_straight_to_the_assistant():
    # a first claim never looks at the transcript (the same delivery id cannot be in it)
    assert answered(request_with(SAVED_TURN), "SM1", resumed=False) == (
        ["what do we owe?"], [])
