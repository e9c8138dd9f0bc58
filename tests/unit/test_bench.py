"""The benchmark's parts without servers: the generated ledger (counts, the big customer,
what the importer makes of it), the Twilio signer against twilio's own RequestValidator,
the percentiles, the reply checkers and the reply sink fed by the real twilio client."""

from __future__ import annotations

import asyncio
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import rasa.cli
from sqlalchemy import func, select
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.bench.checks import Expect, money
from bot.bench.ledger import BIG_ACCOUNT, TODAY, generate
from bot.bench.report import ratios, table
from bot.bench.scripts import (
    BARE_BYE,
    BARE_CHEER,
    BARE_GREET,
    BARE_HAPPY,
    BARE_HELP,
    REST,
    SMS,
    OurConversations,
    account_script,
    bare_script,
    language_script,
    long_script,
)
from bot.bench.servers import free_port, ledger_database
from bot.bench.signing import slack_signature, twilio_signature
from bot.bench.sink import ReplySink
from bot.bench.stats import latency_summary, percentile
from bot.ledger.figures import account_summary
from bot.ledger.importer import import_directory
from bot.ledger.models import Contact, Customer, Invoice
from bot.ledger.schema import migrate
from bot.runtime.app import ARApp
from bot.settings import load_settings


@pytest.fixture(scope="module")
def small():
    return generate(customers=40, big_invoices=300, big_phones=5)


# --- the generated ledger ---------------------------------------------------------------

def test_the_full_ledger_has_ten_thousand_customers_and_one_with_5000_open_invoices():
    ledger = generate()
    assert len(ledger.customers) == 10_000
    assert ledger.big.account_number == BIG_ACCOUNT
    assert len(ledger.big.open_invoices) == 5_000
    assert all(len(c.open_invoices) == 2 for c in ledger.regular)
    numbers = [i.number for c in ledger.customers for i in c.invoices]
    phones = [p for c in ledger.customers for p in c.phones]
    assert len(set(numbers)) == len(numbers) and len(set(phones)) == len(phones)


def test_the_same_seed_gives_the_same_ledger_and_another_seed_another(small):
    assert generate(customers=40, big_invoices=300, big_phones=5) == small
    assert generate(customers=40, big_invoices=300, big_phones=5, seed=16) != small


def test_the_importer_reads_the_export_and_finds_the_generated_figures(small, tmp_path):
    app = ARApp(load_settings({"AR_STATE_DIR": str(tmp_path)}))
    migrate(app.database)
    with app.session() as session:
        import_directory(session, small.write_csv(tmp_path / "csv"))
    with app.session() as session:
        assert session.scalar(select(func.count(Customer.id))) == 40
        assert session.scalar(select(func.count(Invoice.id))) == small.invoice_count
        assert session.scalar(select(func.count(Contact.id))) == 39 + 5
        for generated in (small.big, small.regular[0], small.regular[-1]):
            customer = session.scalars(select(Customer).where(
                Customer.account_number == generated.account_number)).one()
            summary = account_summary(customer, TODAY)
            assert summary.open_total == generated.open_total
            assert summary.open_invoice_count == len(generated.open_invoices)


# --- signing ------------------------------------------------------------------------------

class Form:
    """A posted form as the connector hands it to RequestValidator (getall per name)."""

    def __init__(self, pairs):
        self.pairs = pairs

    def __iter__(self):
        return iter(dict.fromkeys(name for name, _ in self.pairs))

    def getall(self, name):
        return [value for key, value in self.pairs if key == name]


URL = "https://ar.example.com/webhooks/twilio/webhook"
PAIRS = [("Body", "what do we owe?"), ("From", "+12015550042"), ("FromCity", ""),
         ("MediaUrl0", "b"), ("MediaUrl0", "a"), ("MessageSid", "SM1")]


def test_our_signature_is_the_one_twilio_validates():
    signature = twilio_signature("secret-token", URL, PAIRS)
    assert RequestValidator("secret-token").validate(URL, Form(PAIRS), signature)
    assert signature == RequestValidator("secret-token").compute_signature(URL, Form(PAIRS))


@pytest.mark.parametrize("change", ["token", "url", "blank", "value"])
def test_a_changed_request_no_longer_matches(change):
    signature = twilio_signature("other-token" if change == "token" else "secret-token",
                                 URL + "?x=1" if change == "url" else URL,
                                 PAIRS[:2] + PAIRS[3:] if change == "blank" else
                                 [("Body", "what do we owe??")] + PAIRS[1:]
                                 if change == "value" else PAIRS)
    assert not RequestValidator("secret-token").validate(URL, Form(PAIRS), signature)


def test_our_slack_signature_is_the_one_slack_sdk_verifies():
    body = '{"type":"event_callback","event":{"type":"message","text":"¿cuánto debemos?"}}'
    stamp = str(int(time.time()))
    signature = slack_signature("signing-secret", stamp, body)
    assert SignatureVerifier("signing-secret").is_valid(body, stamp, signature)
    assert not SignatureVerifier("other-secret").is_valid(body, stamp, signature)
    assert not SignatureVerifier("signing-secret").is_valid(body + " ", stamp, signature)


# --- statistics -----------------------------------------------------------------------------

def test_percentiles_of_a_known_list():
    values = [float(n) for n in range(100, 0, -1)]  # 1..100, out of order
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == \
        (50.0, 95.0, 99.0)
    assert percentile([0.4, 0.1, 0.3, 0.2], 95) == 0.4
    assert percentile([0.4, 0.1, 0.3, 0.2], 50) == 0.2
    assert percentile([], 95) is None


def test_a_summary_is_in_milliseconds():
    assert latency_summary([0.010, 0.020, 0.030]) == {
        "count": 3, "p50_ms": 20.0, "p95_ms": 30.0, "p99_ms": 30.0, "max_ms": 30.0}
    assert latency_summary([])["p95_ms"] is None


def test_ratios_compare_ours_with_the_bare_bot_load_by_load():
    def figures(target, throughput, p50, p95, cpu_ms):
        latency = {"count": 1, "p50_ms": p50, "p95_ms": p95, "p99_ms": p95, "max_ms": p95}
        return {"target": target, "concurrency": 10, "throughput_msg_s": throughput,
                "latency": latency, "latency_by_channel": {"rest": latency},
                "webhook_ack_by_channel": {}, "errors": 0, "wrong_replies": 0,
                "examples": [], "rss_peak_mb": {"rasa": 1000}, "messages": 1,
                "server_cpu_ms_per_msg": cpu_ms}

    loads = [figures("ours", 30.0, 100.0, 400.0, 45.0),
             figures("ours-rest", 40.0, 50.0, 250.0, 30.0),
             figures("bare", 20.0, 50.0, 500.0, 30.0)]
    assert ratios(loads) == [
        {"target": "ours", "concurrency": 10, "throughput": 1.5, "p50_rest": 2.0,
         "p95_rest": 0.8, "cpu_per_msg": 1.5},
        {"target": "ours-rest", "concurrency": 10, "throughput": 2.0, "p50_rest": 1.0,
         "p95_rest": 0.5, "cpu_per_msg": 1.0}]
    report = {"loads": loads, "ratios": ratios(loads), "long_conversations": []}
    assert "ours / bare at 10: throughput 1.5x" in table(report)
    assert "server CPU per message 1.5x" in table(report)
    assert "ours-rest / bare at 10: throughput 2.0x" in table(report)


def test_a_server_trees_cpu_time_counts_its_workers():
    """What the benchmark divides by the messages answered: the CPU of a server and of
    the workers it forks (two Rasa workers), not of the parent alone."""
    import subprocess
    import sys
    import time

    from bot.bench.procinfo import cpu_seconds, tree_cpu_seconds

    spin = "import time\nend = time.process_time() + 3\nwhile time.process_time() < end: pass"
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys; "
                               f"subprocess.run([sys.executable, '-c', {spin!r}]); "
                               "import time; time.sleep(5)"])
    try:
        deadline = time.monotonic() + 20
        while tree_cpu_seconds(parent.pid) - cpu_seconds(parent.pid) < 0.3:
            assert time.monotonic() < deadline, "the child's CPU time was never counted"
            time.sleep(0.05)
    finally:
        parent.kill()
        parent.wait()


# --- reply checkers and conversations ------------------------------------------------------

def test_a_reply_is_right_only_with_every_piece_and_none_it_must_lack():
    expect = Expect(("$1,250.00", "INV-1"), ("couldn't find",))
    assert expect.problem("INV-1 has $1,250.00 open") is None
    assert "lacks ['$1,250.00']" in expect.problem("INV-1 has $1,205.00 open")
    assert "holds" in expect.problem("INV-1 $1,250.00: I couldn't find it")


def test_the_balance_must_be_the_generated_ledgers_figure(small):
    customer = small.regular[3]
    script = account_script(customer, SMS, TODAY)
    balance = script.turns[0].expect
    right = money(customer.open_total, customer.currency)
    assert right in balance.contains
    wrong = money(customer.open_total + Decimal("0.01"), customer.currency)
    assert not balance.satisfied(f"{customer.name} has {wrong} open")
    assert balance.satisfied(f"{customer.name} has {right} open across 2 invoice(s)")


def test_a_web_customer_proves_who_it_is_first_and_a_phone_does_not(small):
    customer = small.regular[0]
    web, phone = account_script(customer, REST, TODAY), account_script(customer, SMS, TODAY)
    assert len(web.turns) == len(phone.turns) + 1
    assert customer.account_number in web.turns[1].text
    invoice_numbers = {i.number for i in customer.open_invoices}
    assert any(n in web.turns[1].text for n in invoice_numbers)
    assert "Dec 15, 2026" in phone.turns[3].expect.contains  # plan from the 15th of next month
    assert "Nov 27, 2026" in phone.turns[5].expect.contains  # next friday from Mon Nov 23
    spanish = language_script(customer, SMS, TODAY).turns[-1].expect
    assert money(customer.open_total, customer.currency, "es") in spanish.contains


def test_conversations_use_each_customer_once_and_the_big_one_every_tenth(small):
    conversations = OurConversations(small)
    handed = [conversations.next(REST)[0].account_number for _ in range(20)]
    assert handed.count(BIG_ACCOUNT) == 2
    regular = [a for a in handed if a != BIG_ACCOUNT]
    assert len(set(regular)) == len(regular)
    assert len(long_script(small.regular[0], 200).turns) == 200


def test_the_bare_bots_replies_are_those_of_the_rasa_init_scaffold():
    domain = (Path(rasa.cli.__file__).parent / "initial_project" / "domain.yml").read_text()
    for text in (BARE_GREET, BARE_HAPPY, BARE_CHEER, BARE_HELP, BARE_BYE):
        assert f'"{text}"' in domain
    assert {t.text for t in bare_script(0).turns} != {t.text for t in bare_script(1).turns}


# --- the reply sink, fed by the real twilio client ----------------------------------------

def test_the_sink_takes_what_the_twilio_client_sends_and_refuses_a_wrong_token():
    sid, token = "AC" + "c" * 32, "sink-token"
    sink = ReplySink(sid, token, free_port())
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(sink.start(), loop).result(10)
    try:
        client = Client(sid, token)
        client.api.base_url = sink.base_url
        message = client.messages.create(to="+12015550042", from_="+15005550006",
                                         body="Customer 00042 has $1.00 open")
        assert message.sid.startswith("SM")
        forged = Client(sid, "wrong-token")
        forged.api.base_url = sink.base_url
        with pytest.raises(Exception):
            forged.messages.create(to="+12015550042", from_="+15005550006", body="forged")
        assert [r.body for r in sink.since("+12015550042", 0)] == [
            "Customer 00042 has $1.00 open"]
        assert sink.refused == 1
    finally:
        asyncio.run_coroutine_threadsafe(sink.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)


def test_the_imported_ledger_is_reused_until_the_export_changes(small, tmp_path):
    database = ledger_database(small, tmp_path)
    imported = database.stat().st_mtime_ns
    assert ledger_database(small, tmp_path).stat().st_mtime_ns == imported
    other = generate(customers=40, big_invoices=300, big_phones=5, seed=99)
    ledger_database(other, tmp_path)
    app = ARApp(load_settings({"AR_DATABASE_URL": f"sqlite:///{database}"}))
    with app.session() as session:
        big = session.scalars(select(Customer).where(
            Customer.account_number == BIG_ACCOUNT)).one()
        assert account_summary(big, TODAY).open_total == other.big.open_total


# --- a phone waiting for its reply ---------------------------------------------------------

class FakeWebhook:
    """Stands in for our Twilio webhook: checks the signature as the connector does and
    sends `reply` (if any) to the sink through the real twilio client, then answers."""

    def __init__(self, account, sink, reply):
        self.account, self.sink, self.reply = account, sink, reply

    async def handle(self, request):
        from aiohttp import web

        form = await request.post()
        pairs = Form([(k, v) for k, v in form.items()])
        if not RequestValidator(self.account.auth_token).validate(
                self.account.public_url, pairs, request.headers["X-Twilio-Signature"]):
            return web.Response(status=403)
        if self.reply:
            def send():
                client = Client(self.account.account_sid, self.account.auth_token)
                client.api.base_url = self.sink.base_url
                client.messages.create(to=form["From"], from_=self.account.our_number,
                                       body=self.reply)
            await asyncio.to_thread(send)
        return web.Response(text="<Response/>", content_type="text/xml")


async def _one_sms(reply, expect, monkeypatch):
    import aiohttp
    from aiohttp import web

    from bot.bench import clients

    monkeypatch.setattr(clients, "QUIET_SECONDS", 0.3)
    monkeypatch.setattr(clients, "REPLY_TIMEOUT_SECONDS", 1.5)
    sid, token, port = "AC" + "d" * 32, "phone-token", free_port()
    sink = ReplySink(sid, token, free_port())
    account = clients.TwilioAccount(f"http://127.0.0.1:{port}/hook",
                                    "https://ar.example.com/webhooks/twilio/webhook", sid,
                                    token, "+15005550006")
    app = web.Application()
    app.router.add_post("/hook", FakeWebhook(account, sink, reply).handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await sink.start()
    try:
        async with aiohttp.ClientSession() as session:
            phone = clients.SmsPhone(session, account, sink, "+12015550042")
            return await phone.say("what do we owe?", expect)
    finally:
        await sink.stop()
        await runner.cleanup()


def test_a_phone_gets_its_reply_and_the_time_it_took(monkeypatch):
    expect = Expect(("$1,250.00",))
    answer = asyncio.run(_one_sms("You owe $1,250.00.", expect, monkeypatch))
    assert answer.error is None and answer.text == "You owe $1,250.00."
    assert 0 < answer.seconds and 0 < answer.ack_seconds
    assert expect.problem(answer.text) is None


def test_a_wrong_reply_is_read_as_wrong_and_no_reply_as_an_error(monkeypatch):
    expect = Expect(("$1,250.00",))
    wrong = asyncio.run(_one_sms("You owe $1,205.00.", expect, monkeypatch))
    assert wrong.error is None and expect.problem(wrong.text)
    silent = asyncio.run(_one_sms(None, expect, monkeypatch))
    assert silent.error == "no reply reached the provider's API"
