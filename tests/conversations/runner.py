"""Plays the multi-turn conversation files (CONVERSATION_FORMAT: YAML, one topic a file)
against the real Rasa and action servers: one pair of servers per ledger and business
date, the ledger reset between conversations, SMS and WhatsApp as signed Twilio webhooks
answered through a fake Twilio API, web chat through its own endpoints."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Optional
from unittest import mock

import yaml
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.ledger.importer import DEMO_DATA, import_directory
from bot.ledger.models import (
    Base,
    ContactChange,
    Dispute,
    Invoice,
    OutboundMessage,
    PaymentPlan,
    PromiseToPay,
)
from bot.ledger.schema import migrate
from bot.runtime.app import ARApp
from bot.runtime.runner import start_servers, stop_servers
from bot.settings import load_settings
from integrations.twilio_sender import outbox_channel
from tests.answered import wait_until_answered
from tests.fakes.ports import free_port
from tests.fakes.twilio_api import FakeTwilioAPI

HERE = Path(__file__).resolve().parent
LEDGERS = HERE / "ledgers"
ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "conversation-corpus-token"
SMS_NUMBER = "+15005550006"
WHATSAPP_SENDER = "whatsapp:+14155238886"
PUBLIC_BASE_URL = "https://ar.example.com"
TWILIO_PATH = "/webhooks/twilio/webhook"
KINDS = ("payment_plans", "disputes", "promises", "contact_changes")



@dataclass
class Conversation:
    file: Path
    ledger: str
    today: str
    spec: dict

    @property
    def name(self) -> str:
        return f"{self.file.name}: {self.spec.get('name')}"


@dataclass
class Result:
    conversation: Conversation
    problems: list[str] = field(default_factory=list)
    ledger_right: bool = True
    transcript: list[tuple[str, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def load(paths: Iterable[Path]) -> list[Conversation]:
    """Every conversation in the files (folders are searched for *.yml)."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        files += sorted(p for p in path.rglob("*.yml") if "ledgers" not in p.parts) \
            if path.is_dir() else [path]
    found = []
    for file in files:
        data = yaml.safe_load(file.read_text()) or {}
        for spec in data.get("conversations") or []:
            found.append(Conversation(file, str(data.get("ledger", "demo")),
                                      str(data.get("today", "2026-11-23")), spec))
    return found


def ledger_directory(conversation: Conversation) -> Path:
    if conversation.ledger == "demo":
        return DEMO_DATA
    for base in (conversation.file.parent / "ledgers", LEDGERS):
        if (base / conversation.ledger).is_dir():
            return base / conversation.ledger
    raise FileNotFoundError(f"ledger {conversation.ledger!r} of {conversation.file}")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class Servers:
    """One Rasa and one action server on a ledger of their own, at one business date."""

    def __init__(self, ledger: Path, today: str, model: Path, state: Path):
        self.ledger, self.state = ledger, state
        self.twilio = FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN)
        self.env = {"AR_STATE_DIR": str(state), "AR_TODAY": today,
                    "RASA_PORT": str(free_port()), "ACTION_SERVER_PORT": str(free_port()),
                    "RASA_AUTH_TOKEN": "corpus-" + uuid.uuid4().hex,
                    "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                    "TWILIO_FROM_NUMBER": SMS_NUMBER, "TWILIO_WHATSAPP_FROM": WHATSAPP_SENDER,
                    "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "OUTBOX_FIRST_RETRY_SECONDS": "1",
                    "OUTBOX_POLL_SECONDS": "0.5",
                    # A conversation is played faster than anyone types: no rate limit.
                    "RATE_LIMIT_MESSAGES": "0"}
        self.model, self.processes = model, []

    def __enter__(self) -> "Servers":
        self.twilio.__enter__()
        self.env["TWILIO_API_BASE_URL"] = self.twilio.base_url
        self._patch = mock.patch.dict(os.environ, self.env)
        self._patch.start()
        self.settings = load_settings()
        self.app = ARApp(self.settings)
        migrate(self.app.database)
        self.reset_ledger()
        self.processes = start_servers(self.settings, self.model, log_dir=self.state / "logs")
        return self

    def __exit__(self, *_exc) -> None:
        stop_servers(self.processes)
        self._patch.stop()
        self.twilio.__exit__()

    def reset_ledger(self) -> None:
        """Empty every table and load the ledger's CSV files again."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # let the outbox finish what it sends
            with self.app.session() as session:
                if not session.scalars(select(OutboundMessage.id).where(
                        OutboundMessage.status == "pending")).first():
                    break
            time.sleep(0.2)
        with self.app.session() as session:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(table.delete())
            import_directory(session, self.ledger)

    def api(self, path: str, body: Optional[object] = None) -> object:
        url = (f"http://127.0.0.1:{self.settings.rasa_port}{path}"
               f"{'&' if '?' in path else '?'}token={self.env['RASA_AUTH_TOKEN']}")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def bot_texts_since_last_user(self, sender: str) -> list[str]:
        events = self.api(f"/conversations/{urllib.parse.quote(sender, safe='+:')}/tracker")["events"]
        texts: list[str] = []
        for event in reversed(events):
            if event.get("event") == "user":
                break
            if event.get("event") == "bot" and event.get("text"):
                texts.insert(0, event["text"])
        return texts

    def forget(self, sender: str) -> None:
        """A fresh tracker for a sender a previous conversation used."""
        self.api(f"/conversations/{urllib.parse.quote(sender, safe='+:')}/tracker/events",
                 [{"event": "restart"}])

    def expire_session(self, sender: str) -> None:
        self.api(f"/conversations/{urllib.parse.quote(sender, safe='+:')}/execute",
                 {"name": "action_session_start"})


class TwilioPhone:
    """A phone (SMS or WhatsApp) texting through signed Twilio webhooks."""

    def __init__(self, servers: Servers, phone: str, whatsapp: bool):
        self.servers = servers
        self.sender = f"whatsapp:{phone}" if whatsapp else phone
        self.to = WHATSAPP_SENDER if whatsapp else SMS_NUMBER
        self._read = len(servers.twilio.sent_to(self.sender))

    def says(self, text: str) -> str:
        sid = "SM" + uuid.uuid4().hex
        fields = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
                  "From": self.sender, "To": self.to, "Body": text, "NumMedia": "0"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            PUBLIC_BASE_URL + TWILIO_PATH, fields)
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.servers.settings.rasa_port}{TWILIO_PATH}",
            urllib.parse.urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        with urllib.request.urlopen(request, timeout=120) as response:
            if response.status != 200:
                raise RuntimeError(f"webhook answered {response.status}")
        # Acknowledged at once; the turn runs after.
        wait_until_answered(self.servers.app, outbox_channel(self.sender), self.sender)
        expected = _words(" ".join(self.servers.bot_texts_since_last_user(self.sender)))
        received: list = []

        def whole() -> bool:
            sent = self.servers.twilio.sent_to(self.sender)
            received[:] = sent[self._read:]
            return _words(" ".join(m.body for m in received))[:len(expected)] == expected \
                if expected else True

        self.servers.twilio.wait_for(whole, timeout=30)
        self._read += len(received)
        return "\n".join(m.body for m in received)


class WebVisitor:
    """A browser on the web chat page: the server's signed cookie is its conversation."""

    def __init__(self, servers: Servers):
        self.servers, self.cookie = servers, None

    def says(self, text: str) -> str:
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.servers.settings.rasa_port}/webhooks/webchat/message",
            json.dumps({"text": text}).encode(), headers)
        with urllib.request.urlopen(request, timeout=120) as response:
            set_cookie = response.headers.get("Set-Cookie")
            if set_cookie:
                self.cookie = set_cookie.split(";", 1)[0]
            return "\n".join(m.get("text") or "" for m in json.load(response)["messages"])


def _created(session) -> dict[str, list[dict]]:
    """What conversations create, as the format names it (the CSVs create none of it)."""
    return {
        "payment_plans": [{"instalments": str(p.instalment_count), "total": str(p.total_amount),
                           "start_date": p.start_date.isoformat()}
                          for p in session.scalars(select(PaymentPlan))],
        "disputes": [{"invoice": d.invoice.invoice_number, "amount": str(d.amount),
                      "reason": d.reason} for d in session.scalars(select(Dispute))],
        "promises": [{"amount": str(p.amount), "date": p.promised_date.isoformat(),
                      "invoice": session.get(Invoice, p.invoice_id).invoice_number
                      if p.invoice_id else ""}
                     for p in session.scalars(select(PromiseToPay))],
        "contact_changes": [{"field": c.field, "new_value": c.new_value}
                            for c in session.scalars(select(ContactChange))],
    }


def _same(expected: dict, record: dict) -> bool:
    for key, value in expected.items():
        have = record.get(key, "")
        value = "" if value is None else str(value)
        if key in ("total", "amount"):
            try:
                if Decimal(value) != Decimal(have):
                    return False
            except ArithmeticError:
                return False
        elif key == "new_value":
            if value.strip().lower() not in have.lower().split("|") + [have.lower()]:
                return False
        elif value.strip().lower() != have.strip().lower():
            return False
    return True


def check_ledger(session, expect: dict) -> list[str]:
    problems = []
    created = _created(session)
    for kind in KINDS:
        if kind not in expect:
            continue
        wanted, records = list(expect[kind] or []), list(created[kind])
        for item in wanted:
            match = next((r for r in records if _same(item, r)), None)
            if match is None:
                problems.append(f"{kind}: expected {item}, ledger has {created[kind]}")
            else:
                records.remove(match)
        if records and not any(p.startswith(kind) for p in problems):
            problems.append(f"{kind}: unexpected {records}")
    return problems


def play(servers: Servers, conversation: Conversation) -> Result:
    spec, result = conversation.spec, Result(conversation)
    channel = spec.get("channel", "sms")
    servers.reset_ledger()
    if channel in ("sms", "whatsapp"):
        talker = TwilioPhone(servers, str(spec["phone"]), channel == "whatsapp")
        servers.forget(talker.sender)
    else:
        talker = WebVisitor(servers)
    for number, turn in enumerate(spec.get("turns") or [], 1):
        if turn.get("session_expires_before") and channel != "webchat":
            servers.expire_session(talker.sender)
        try:
            reply = talker.says(str(turn["user"]))
        except (OSError, RuntimeError, urllib.error.HTTPError) as error:
            result.problems.append(f"turn {number}: {error}")
            break
        result.transcript.append((str(turn["user"]), reply))
        folded = reply.lower()
        for wanted in turn.get("reply_contains") or []:
            if str(wanted).lower() not in folded:
                result.problems.append(f"turn {number} ({turn['user']!r}): reply lacks "
                                       f"{wanted!r}: {reply!r}")
        for unwanted in turn.get("reply_lacks") or []:
            if str(unwanted).lower() in folded:
                result.problems.append(f"turn {number} ({turn['user']!r}): reply has "
                                       f"{unwanted!r}: {reply!r}")
    with servers.app.session() as session:
        ledger_problems = check_ledger(session, spec.get("expect") or {})
    result.ledger_right = not ledger_problems
    result.problems += ledger_problems
    return result


def run(paths: Iterable[Path], model: Path, state_root: Path) -> list[Result]:
    """Every conversation, grouped so each ledger and date starts one pair of servers."""
    groups: dict[tuple[Path, str], list[Conversation]] = {}
    for conversation in load(paths):
        groups.setdefault((ledger_directory(conversation), conversation.today),
                          []).append(conversation)
    results = []
    for number, ((ledger, today), conversations) in enumerate(groups.items()):
        started = time.monotonic()
        with Servers(ledger, today, model, state_root / f"group{number}") as servers:
            print(f"servers for {ledger.name} at {today} up in "
                  f"{time.monotonic() - started:.0f} s", flush=True)
            for conversation in conversations:
                result = play(servers, conversation)
                print(("PASS " if result.passed else "FAIL ") + conversation.name, flush=True)
                results.append(result)
    return results


def report(results: list[Result]) -> str:
    total = len(results) or 1
    right = sum(r.ledger_right for r in results)
    passed = sum(r.passed for r in results)
    lines = [f"{right}/{len(results)} conversations ({100 * right / total:.1f}%) end in the "
             f"right ledger state; {passed}/{len(results)} ({100 * passed / total:.1f}%) "
             f"pass every check (ledger and replies)."]
    for result in results:
        if not result.passed:
            lines.append(f"FAILED {result.conversation.name}")
            lines += [f"    {problem}" for problem in result.problems]
            lines += [f"    > {said}\n    < {reply}" for said, reply in result.transcript]
    return "\n".join(lines)
