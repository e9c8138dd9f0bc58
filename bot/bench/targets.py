"""The two bots the harness drives: ours (REST and signed SMS, on the generated ledger) and
the bare `rasa init` bot (REST, its greet-and-mood talk)."""

from __future__ import annotations

import uuid
from typing import Optional

import aiohttp

from bot.bench.clients import RestClient, SlackApp, SlackUser, SmsPhone, TwilioAccount
from bot.bench.ledger import GeneratedLedger
from bot.bench.scripts import (
    REST,
    SLACK,
    SMS,
    OurConversations,
    Script,
    bare_long_script,
    bare_script,
)
from bot.bench.sink import ReplySink

CHANNELS = (REST, SMS, SLACK)


class OurAssistant:
    """Customers take turns between the web (REST), SMS and Slack, conversation by
    conversation; each worker talks as the big customer from a contact of its own (phone,
    Slack user), so no two talk at once in one conversation.

    name: "ours", or "ours-rest" for the same servers over REST alone, like with like
    with the bare bot (which has only REST), beside the mix of channels; talks_long:
    whether it holds the long conversation too (a REST one: once is enough)."""

    def __init__(self, rest_base: str, pids: dict[str, int], ledger: GeneratedLedger,
                 twilio: Optional[TwilioAccount], sink: Optional[ReplySink],
                 slack: Optional[SlackApp] = None, channels: tuple[str, ...] = CHANNELS,
                 name: str = "ours", talks_long: bool = True):
        self.name, self.talks_long = name, talks_long
        self.rest_base, self.pids, self.ledger = rest_base, pids, ledger
        self.twilio, self.sink, self.slack = twilio, sink, slack
        self.channels = tuple(c for c, on in ((REST, True), (SMS, twilio), (SLACK, slack))
                              if on and c in channels)
        self.conversations = OurConversations(ledger)

    def channel(self, worker: int, number: int) -> str:
        return self.channels[(worker + number) % len(self.channels)]

    def conversation(self, session: aiohttp.ClientSession, worker: int, number: int):
        channel = self.channel(worker, number)
        customer, script = self.conversations.next(channel)
        if channel == REST:
            return channel, RestClient(session, self.rest_base,
                                       f"bench-{uuid.uuid4().hex[:12]}"), script
        phone = customer.phones[worker % len(customer.phones)]
        if channel == SLACK:
            user = customer.slack_user(phone)
            return channel, SlackUser(session, self.slack, self.sink, user), script
        return channel, SmsPhone(session, self.twilio, self.sink, phone), script

    def long(self, turns: int):
        _customer, script = self.conversations.long(turns)
        sender = f"bench-long-{uuid.uuid4().hex[:12]}"
        return script, lambda session: RestClient(session, self.rest_base, sender)


class BareRasaBot:
    name = "bare"
    talks_long = True

    def __init__(self, rest_base: str, pids: dict[str, int]):
        self.rest_base, self.pids = rest_base, pids

    def conversation(self, session: aiohttp.ClientSession, worker: int, number: int):
        sender = f"bare-{uuid.uuid4().hex[:12]}"
        return REST, RestClient(session, self.rest_base, sender), bare_script(worker + number)

    def long(self, turns: int) -> tuple[Script, object]:
        sender = f"bare-long-{uuid.uuid4().hex[:12]}"
        return bare_long_script(turns), lambda session: RestClient(session, self.rest_base,
                                                                   sender)
