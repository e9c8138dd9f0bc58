"""The handoff end to end: real Rasa and action servers, customers on SMS (fake Twilio API),
web chat and Slack Connect (fake Slack Web API), and collectors in the AR channel whose
buttons (signed interactive payloads) and thread replies (signed events) drive the relay."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any, Callable, Optional
from unittest import mock

import pytest

from bot.conversation import formatting
from bot.handoff.card import CLAIM, HAND_BACK, RESOLVE
from bot.ledger.figures import account_summary
from bot.ledger.models import Customer, HandoffMessage
from bot.runtime.app import ARApp
from tests.conftest import BUSINESS_DATE
from tests.fakes.slack_api import FakeSlackAPI, SlackUser
from integrations.action_calls import RECENT_USER_MESSAGES
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.integration.test_slack_channel import SlackChannel
from tests.integration.test_twilio_channel import (ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL,
                                                   SMS_NUMBER, WHATSAPP_SENDER, Phone)
from tests.integration.test_webchat import WebVisitor

pytestmark = pytest.mark.servers

# The `assistant` fixture (real Rasa and action servers) comes from tests/integration/conftest.py.

SECRET, TOKEN = "integration-signing-secret", "xoxb-integration"  # as test_slack_channel's
AR_CHANNEL = "C0ARTEAM"
MARIA, KAI = "U0MARIA", "U0KAI"
DEADLINE = 60  # seconds for what happens in the background
_ts = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def apis():
    """Fake Slack and Twilio, and settings pointing the assistant at them (in place before
    the `assistant` fixture starts the servers). The AR team is always in."""
    with FakeSlackAPI(TOKEN) as slack, FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        slack.users[MARIA] = SlackUser("maria@northwind.example", True, "Maria Lopez")
        slack.users[KAI] = SlackUser("kai@northwind.example", True, "Kai Berg")
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_BASE_URL": slack.base_url, "SLACK_HANDOFF_CHANNEL": AR_CHANNEL,
               "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "TWILIO_FROM_NUMBER": SMS_NUMBER, "TWILIO_WHATSAPP_FROM": WHATSAPP_SENDER,
               "TWILIO_API_BASE_URL": twilio.base_url, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
               "OUTBOX_FIRST_RETRY_SECONDS": "0.3", "OUTBOX_POLL_SECONDS": "0.3",
               "AR_OFFICE_HOURS": "Mon-Sun 00:00-23:59 UTC", "HANDOFF_SLA_MINUTES": "600"}
        with mock.patch.dict(os.environ, env):
            yield slack, twilio


@pytest.fixture(scope="module")
def slack(apis) -> FakeSlackAPI:
    return apis[0]


@pytest.fixture(scope="module")
def twilio(apis) -> FakeTwilioAPI:
    return apis[1]


@pytest.fixture(scope="module")
def ledger(assistant) -> ARApp:
    return ARApp(assistant)


def wait_for(condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def open_total(app: ARApp, account_number: str) -> str:
    with app.session() as session:
        customer = session.query(Customer).filter_by(account_number=account_number).one()
        summary = account_summary(customer, BUSINESS_DATE)
        return formatting.money(summary.open_total, customer.currency)


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body,
                                 hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def blocks_text(blocks: Optional[list]) -> str:
    parts = []
    for block in blocks or []:
        if block.get("type") == "section":
            parts.append(block["text"]["text"])
        elif block.get("type") == "context":
            parts += [e.get("text", "") for e in block["elements"]]
        elif block.get("type") == "actions":
            parts += [e.get("action_id", "") for e in block["elements"]]
    return "\n".join(parts)


class ARTeam:
    """The AR channel in Slack as collectors see it, and what they do there."""

    def __init__(self, settings, slack: FakeSlackAPI):
        self.settings, self.slack = settings, slack

    def _post(self, path: str, body: bytes, content_type: str, secret: str = SECRET) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.settings.rasa_port}/webhooks/slack/{path}", body,
            {"Content-Type": content_type, **signed(body, secret)})
        try:
            started = time.monotonic()
            with urllib.request.urlopen(request, timeout=10) as response:
                print(f"Slack {path} answered in {time.monotonic() - started:.2f} s")
                return response.status
        except urllib.error.HTTPError as refused:
            return refused.code

    def card(self, reference: str):
        """The card's post, once it is in the channel."""
        return wait_for(lambda: next((p for p in self.slack.posts(AR_CHANNEL)
                                      if p.thread_ts is None and reference in p.text), None),
                        f"the card of {reference}")

    def shows(self, card) -> str:
        return blocks_text(self.slack.latest_card(AR_CHANNEL, card.ts))

    def thread(self, card) -> list[str]:
        return [p.text for p in self.slack.posts(AR_CHANNEL) if p.thread_ts == card.ts]

    def thread_gets(self, card, fragment: str) -> list[str]:
        return wait_for(lambda: [t for t in self.thread(card) if fragment in t],
                        f"{fragment!r} in the thread")

    def click(self, card, action_id: str, user: str, option: Optional[str] = None,
              secret: str = SECRET) -> int:
        payload = button_payload(card, action_id, user, option)
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return self._post("interactive", body, "application/x-www-form-urlencoded", secret)

    def reply(self, card, user: str, text: str, event_id: Optional[str] = None) -> dict:
        """A collector writes in the card's thread; Slack delivers the event to us."""
        payload = thread_event(card, user, text, event_id)
        assert self._post("webhook", json.dumps(payload).encode(), "application/json") == 200
        return payload

    def reacted(self, payload: dict, name: str) -> bool:
        ts = payload["event"]["ts"]
        return any(r.ts == ts and r.name == name for r in self.slack.reactions)


def button_payload(card, action_id: str, user: str, option: Optional[str] = None) -> dict:
    """A block_actions payload as Slack sends it when a collector presses a card's button."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "type": "button",
                              "value": card_reference(card), "action_ts": str(time.time())}
    if option:
        action = {**action, "type": "static_select",
                  "selected_option": {"value": f"{card_reference(card)}|{option}"}}
    return {"type": "block_actions", "user": {"id": user, "username": user.lower(),
                                              "name": user.lower(), "team_id": "T0NORTHWIND"},
            "api_app_id": "A0AR", "token": "legacy", "team": {"id": "T0NORTHWIND"},
            "container": {"type": "message", "message_ts": card.ts, "channel_id": AR_CHANNEL},
            "channel": {"id": AR_CHANNEL}, "message": {"ts": card.ts}, "trigger_id": "1.2.3",
            "response_url": "https://hooks.slack.invalid/x", "actions": [action]}


def thread_event(card, user: str, text: str, event_id: Optional[str] = None) -> dict:
    """The event Slack delivers when someone writes in the card's thread."""
    ts = f"1791000000.{next(_ts):06d}"
    return {"type": "event_callback", "team_id": "T0NORTHWIND", "api_app_id": "A0AR",
            "event_id": event_id or f"EvAR{ts.replace('.', '')}",
            "authorizations": [{"user_id": "U0ARBOT", "is_bot": True}],
            "event": {"type": "message", "user": user, "text": text, "ts": ts,
                      "thread_ts": card.ts, "channel": AR_CHANNEL, "team": "T0NORTHWIND"}}


def card_reference(card) -> str:
    return re.search(r"HND-[2-9A-Z]{6}", card.text).group(0)


def reference_in(text: str) -> str:
    found = re.search(r"HND-[2-9A-Z]{6}", text)
    assert found, text
    return found.group(0)


@pytest.fixture
def ar_team(assistant, slack) -> ARTeam:
    return ARTeam(assistant, slack)


def tracker_events(settings, conversation_id: str) -> list[dict]:
    url = (f"http://127.0.0.1:{settings.rasa_port}/conversations/"
           f"{urllib.parse.quote(conversation_id, safe='+:')}/tracker?token={settings.rasa_auth_token}")
    with urllib.request.urlopen(url, timeout=30) as response:
        return [e for e in json.load(response)["events"] if e["event"] in ("user", "bot")]


def who_said_what(settings, conversation_id: str) -> list[tuple[str, str]]:
    said = []
    for event in tracker_events(settings, conversation_id):
        collector = (event.get("metadata") or {}).get("collector")
        who = "customer" if event["event"] == "user" else (collector or "bot")
        said.append((who, event.get("text") or ""))
    return said


class Browser(WebVisitor):
    """A web chat visitor. PUBLIC_BASE_URL is https here (Twilio signs it), so the session
    cookie is Secure; the test talks plain HTTP on loopback, where a browser behind the
    TLS proxy would still send it."""

    def request(self, path, body=None):
        answer = super().request(path, body)
        for cookie in self.jar:
            cookie.secure = False
        return answer


class Texting(Phone):
    def asks_for_a_person(self, text: str, ar_team: "ARTeam"):
        """Text text; the card of the handoff it started, once it is in the AR channel."""
        self.texts(text)
        return ar_team.card(reference_in(self.got("HND-")))

    def got(self, fragment: str) -> str:
        """Wait until a message containing fragment arrived; everything received since."""
        received: list = []

        def arrived() -> bool:
            received.extend(self.new_messages())
            return any(fragment in m.body for m in received)

        assert self.api.wait_for(arrived, DEADLINE), f"{fragment!r} never reached the phone"
        return " ".join(m.body for m in received)


def test_a_texting_customer_gets_a_collector_and_back_the_bot(assistant, ledger, twilio,
                                                              ar_team):
    jane = Texting(assistant, twilio, "+14155550101")
    jane.new_messages()
    jane.texts("hi, what's our current balance?")
    assert open_total(ledger, "ACME-001") in jane.got("open")
    card = jane.asks_for_a_person("I want to talk to a real person", ar_team)
    shown = ar_team.shows(card)
    assert "Acme Corporation" in shown and "ACME-001" in shown and "Jane Doe" in shown
    assert f"*Open balance:* {open_total(ledger, 'ACME-001')}" in shown
    assert "*Customer:* hi, what's our current balance?" in shown
    assert "*Bot:* Acme Corporation has" in shown
    assert "Channel: SMS · Language: English" in shown
    assert "The customer asked for a person" in shown and "<@U0COLLMARIA>" in shown
    assert "gave the account balance" in shown

    assert ar_team.click(card, CLAIM, MARIA) == 200
    assert "Maria Lopez from our AR team is now with you" in jane.got("Maria Lopez")
    wait_for(lambda: "Claimed by *Maria Lopez*" in ar_team.shows(card), "the card shows the owner")

    jane.texts("can you waive the late fee on INV-2026-0142?")
    ar_team.thread_gets(card, "*Customer:* can you waive the late fee on INV-2026-0142?")
    assert jane.new_messages() == []  # the bot said nothing

    answer = ar_team.reply(card, MARIA, "Hi Jane, I've waived the fee on INV-2026-0142.")
    assert "I've waived the fee" in jane.got("waived")
    wait_for(lambda: ar_team.reacted(answer, "white_check_mark"), "delivered is shown")

    upload = thread_event(card, MARIA, "here is the credit note")
    upload["event"]["subtype"] = "file_share"
    assert ar_team._post("webhook", json.dumps(upload).encode(), "application/json") == 200
    ar_team.thread_gets(card, "Files are not relayed to the customer")
    note = ar_team.reply(card, MARIA, "note: good payer, fee waived as a courtesy")
    wait_for(lambda: ar_team.reacted(note, "lock"), "the note is marked internal")
    ar_team.reply(card, MARIA, "note: second note", event_id=note["event_id"])  # a retry
    with ledger.session() as session:
        notes = session.query(HandoffMessage).filter_by(kind="note").all()
        assert [n.text for n in notes if "note" in n.text or "payer" in n.text] == [
            "good payer, fee waived as a courtesy"]
    assert ar_team.click(card, HAND_BACK, MARIA) == 200
    back = jane.got("back with the assistant")
    assert "good payer" not in back and "credit note" not in back
    ar_team.thread_gets(card, "Maria Lopez handed the conversation back to the bot")

    jane.texts("what do we owe?")
    assert open_total(ledger, "ACME-001") in jane.got("open")
    said = who_said_what(assistant, "+14155550101")
    people = [who for who, _ in said]
    start = said.index(("customer", "I want to talk to a real person"))
    assert people[start:] == ["customer", "bot", "bot", "customer", "Maria Lopez", "bot",
                              "customer", "bot"]
    assert said[start + 4][1] == "Hi Jane, I've waived the fee on INV-2026-0142."
    assert not any("good payer" in text for _, text in said)


def test_a_web_chat_visitor_sees_the_collectors_reply_without_asking(assistant, ledger,
                                                                     ar_team):
    visitor = Browser(assistant)
    assert "confirm who you are" in visitor.says("how much do we owe?")
    visitor.says("ACME-001")
    assert open_total(ledger, "ACME-001") in visitor.says("INV-2026-0101")
    reference = reference_in(visitor.says("agent please"))
    card = ar_team.card(reference)
    assert "Channel: web chat" in ar_team.shows(card)
    assert "*Customer:* how much do we owe?" in ar_team.shows(card)

    assert ar_team.click(card, CLAIM, KAI) == 200
    wait_for(lambda: any("Kai Berg" in m.get("text", "") for m in visitor.history()),
             "the visitor is told who joined")
    assert visitor.says("we paid INV-2026-0142 last week, can you check?") == ""
    ar_team.thread_gets(card, "*Customer:* we paid INV-2026-0142 last week")
    ar_team.reply(card, KAI, "Checking with the bank now, one moment.")
    ar_team.reply(card, KAI, "note: nothing in the bank file yet")
    reply = wait_for(lambda: next((m for m in visitor.history()
                                   if m.get("text", "").startswith("Checking with")), None),
                     "the collector's reply in the web chat history")
    assert reply["sender"] == "collector" and reply["name"] == "Kai Berg"
    ar_team.thread_gets(card, "shown in the customer's web chat")

    assert ar_team.click(card, RESOLVE, KAI, option="information_given") == 200
    ar_team.thread_gets(card, "resolved this: Information given")
    assert open_total(ledger, "ACME-001") in visitor.says("what's our balance?")
    texts = [m.get("text", "") for m in visitor.history()]
    assert not any("bank file" in t for t in texts)


def test_a_handoff_late_in_a_long_session_relays_only_what_is_new(assistant, ledger, ar_team):
    """Action calls carry the session's recent events only (integrations/action_calls.py):
    the card still shows the last messages, and the relay starts after the handoff."""
    visitor = Browser(assistant)
    visitor.says("how much do we owe?")
    visitor.says("ACME-001")
    visitor.says("INV-2026-0101")
    for turn in range(RECENT_USER_MESSAGES + 5):
        assert open_total(ledger, "ACME-001") in visitor.says(f"balance again please ({turn})")
    card = ar_team.card(reference_in(visitor.says("agent please")))
    shown = ar_team.shows(card)
    last = RECENT_USER_MESSAGES + 4
    assert f"*Customer:* balance again please ({last})" in shown
    assert "*Customer:* agent please" in shown
    assert ar_team.click(card, CLAIM, KAI) == 200
    visitor.says("is anyone there?")
    ar_team.thread_gets(card, "*Customer:* is anyone there?")
    customers_lines = [t for t in ar_team.thread(card) if t.startswith("*Customer:*")]
    assert customers_lines == ["*Customer:* is anyone there?"]


def test_a_slack_connect_customer_gets_the_collector_in_their_thread(assistant, ledger,
                                                                    slack, ar_team):
    shared = SlackChannel(ledger, slack, "C0INITECHHO")
    ask = shared.event("U03INITECH", "can I talk to someone on your team?")
    assert shared.deliver(ask) == 200
    reference = reference_in(shared.answer_to(ask))
    card = ar_team.card(reference)
    assert "Initech Ltd" in ar_team.shows(card) and "Channel: Slack" in ar_team.shows(card)
    assert f"*Open balance:* {open_total(ledger, 'INITECH-003')}" in ar_team.shows(card)
    thread_ts = ask["event"]["ts"]

    assert ar_team.click(card, CLAIM, MARIA) == 200
    wait_for(lambda: any("Maria Lopez from our AR team" in t for t in shared.thread(thread_ts)),
             "Peter is told who joined")
    before = len(shared.thread(thread_ts))
    follow = shared.event("U03INITECH", "our check CHK-10234 should cover March",
                          thread_ts=thread_ts)
    assert shared.deliver(follow) == 200
    ar_team.thread_gets(card, "*Customer:* our check CHK-10234 should cover March")
    assert len(shared.thread(thread_ts)) == before  # the bot said nothing

    ar_team.reply(card, MARIA, "Thanks Peter, I see the check and will apply it today.")
    wait_for(lambda: any("apply it today" in t for t in shared.thread(thread_ts)),
             "the reply in Peter's thread")
    ar_team.reply(card, MARIA, "note: apply CHK-10234 to INV-2026-0301")
    assert ar_team.click(card, HAND_BACK, MARIA) == 200
    wait_for(lambda: any("back with the assistant" in t for t in shared.thread(thread_ts)),
             "Peter is told the bot is back")
    assert not any("note" in t or "INV-2026-0301" in t for t in shared.thread(thread_ts))
    question = shared.event("U03INITECH", "what's our balance now?", thread_ts=thread_ts)
    assert shared.deliver(question) == 200
    wait_for(lambda: any("Initech Ltd has" in t for t in shared.thread(thread_ts)),
             "the bot answers again")


def test_nothing_is_lost_while_slack_is_down(assistant, ledger, slack, twilio, ar_team):
    lucia = Texting(assistant, twilio, "+34612345678")
    lucia.new_messages()
    slack.down()
    try:
        lucia.texts("quiero hablar con una persona, por favor")
        reference = reference_in(lucia.got("HND-"))
        lucia.texts("¿pueden llamarme mañana por la mañana?")
        wait_for(lambda: slack.failed_posts >= 2, "the card tried while Slack is down")
        assert not [p for p in slack.posts(AR_CHANNEL) if reference in p.text]
    finally:
        slack.up()
    card = ar_team.card(reference)
    assert "Soylent Alimentos SA" in ar_team.shows(card)
    assert "Spanish; the bot reads: asks for a person" in ar_team.shows(card)
    ar_team.thread_gets(card, "*Customer:* ¿pueden llamarme mañana por la mañana?")
    assert ar_team.click(card, CLAIM, KAI) == 200
    lucia.got("Kai Berg")
    ar_team.reply(card, KAI, "Hola Lucía, la llamo mañana a las 9.")
    assert "la llamo mañana" in lucia.got("mañana a las 9")
    assert ar_team.click(card, HAND_BACK, KAI) == 200
    lucia.got("asistente")


def test_forged_interactive_payloads_are_refused(ar_team):
    forged = type("Card", (), {"ts": "1.1", "text": "HND-ZZZZZZ"})()
    assert ar_team.click(forged, CLAIM, MARIA, secret="not-the-secret") == 401


def handoff_row(app: ARApp, reference: str, **changes) -> None:
    from bot.ledger.models import HandoffRequest

    with app.session() as session:
        row = session.query(HandoffRequest).filter_by(reference=reference).one()
        for name, value in changes.items():
            setattr(row, name, value)


def test_a_frustrated_whatsapp_customer_goes_to_a_person_and_may_ask_for_the_bot_back(
        assistant, ledger, twilio, ar_team):
    klaus = Texting(assistant, twilio, "whatsapp:+4915112345678")
    klaus.new_messages()
    card = klaus.asks_for_a_person(
        "Das ist jetzt das dritte Mal, dass ich nach unserem Saldo frage!", ar_team)
    shown = ar_team.shows(card)
    assert "The customer sounds frustrated (repeated asks)" in shown
    assert "Channel: WhatsApp · Language: German" in shown
    assert "German; the bot reads: asks what the account owes" in shown

    assert ar_team.click(card, CLAIM, KAI) == 200
    klaus.got("Kai Berg")
    klaus.texts("können wir bitte zurück zum Bot?")
    ar_team.thread_gets(card, "The customer asked for the bot back")
    assert "wieder beim Assistenten" in klaus.got("Assistenten")
    wait_for(lambda: "Handed back to the bot" in ar_team.shows(card), "the card says so")

    second = klaus.asks_for_a_person("Ich möchte mit einem Mitarbeiter sprechen", ar_team)
    assert ar_team.click(second, CLAIM, KAI) == 200
    klaus.got("Kai Berg")
    handoff_row(ledger, card_reference(second), last_customer_message_at=(
        ledger.now() - timedelta(hours=25)))
    ar_team.reply(second, KAI, "Guten Tag Herr Weber, ich rufe Sie an.")
    ar_team.thread_gets(second, "Not sent to the customer: WhatsApp's 24-hour window has closed")
    assert not any("ich rufe Sie an" in m.body for m in klaus.new_messages())


def test_an_unclaimed_card_is_announced_again_and_an_opted_out_number_gets_nothing(
        assistant, ledger, twilio, ar_team):
    bob = Texting(assistant, twilio, "+14155550102")
    bob.new_messages()
    card = bob.asks_for_a_person("agent", ar_team)
    reference = card_reference(card)
    handoff_row(ledger, reference, created_at=ledger.now() - timedelta(hours=11),
                announced_at=ledger.now() - timedelta(hours=11))
    again = ar_team.thread_gets(card, "is still unclaimed")[0]
    assert "<@U0COLLMARIA>" in again and "has waited 660 min" in again
    wait_for(lambda: "the customer has waited 660 min" in ar_team.shows(card), "the card's wait")

    bob.texts("STOP")
    bob.got("")  # the opt-out confirmation
    ar_team.reply(card, MARIA, "Hi Bob, Maria here from AR.")
    ar_team.thread_gets(card, "Not sent to the customer: the customer opted out of SMS")
    time.sleep(1)
    assert bob.new_messages() == []


def test_a_reply_twilio_refuses_at_first_is_flagged_then_marked_delivered(
        assistant, ledger, twilio, ar_team):
    peter = Texting(assistant, twilio, "+14165550123")
    peter.new_messages()
    card = peter.asks_for_a_person("can I speak to a person please", ar_team)
    assert ar_team.click(card, CLAIM, MARIA) == 200
    peter.got("Maria Lopez")
    # Two refusals: the outbox's own retry round may make the first attempt, the relay the
    # second; either way the reply is still waiting when the relay reports on it.
    twilio.fail_next(2)
    answer = ar_team.reply(card, MARIA, "Peter, the credit note is on its way.")
    ar_team.thread_gets(card, "Not delivered yet")
    assert "credit note is on its way" in peter.got("credit note")
    wait_for(lambda: ar_team.reacted(answer, "white_check_mark"), "delivered shown after the retry")
