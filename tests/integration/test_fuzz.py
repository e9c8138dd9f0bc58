"""Every webhook, form and console endpoint fuzzed (hypothesis, derandomized, bounded):
the real Rasa and action servers with the Twilio, Slack, web chat, document and REST
channels, and the managers' console as its own process. Bodies huge, empty, binary, with
control characters, invalid UTF-8, SQL and template injection, wrong content types;
deliveries replayed and out of order. Every answer is a clean 4xx or a right answer,
never a 500, and what a customer is sent never holds another customer's figures or
invoice numbers (the demo ledger holds six customers; Jane is Acme's, Peter Initech's)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
import urllib.parse
import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from bot.conversation import formatting
from bot.ledger.figures import account_summary, open_amount
from bot.ledger.models import Customer
from bot.runtime.app import ARApp
from tests.answered import wait_until_answered
from tests.conftest import BUSINESS_DATE
from tests.console_server import USERS, running_console  # noqa: F401  (the fixture)
from tests.fakes.waiting import until
from tests.integration.providers import faked_providers
from tests.integration.test_slack_channel import SECRET
from tests.integration.test_twilio_channel import (ACCOUNT_SID, SMS_NUMBER, WEBHOOK_PATH,
                                                   twilio_signature)

pytestmark = pytest.mark.servers

# The `assistant` fixture (real Rasa and action servers) comes from tests/integration/conftest.py.

JANE, PETER = "+14155550101", "U03INITECH"  # ACME-001 by SMS, INITECH-003 in Slack
BOB = "+14155550102"  # ACME-001 too
AR_CHANNEL = "C0ARTEAM"
# Bounded so that the module takes a minute or two; AR_FUZZ_EXAMPLES=200 digs deeper
# (same examples first: derandomized).
EXAMPLES = int(os.environ.get("AR_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(FUZZ, max_examples=max(1, EXAMPLES // 2))  # each a whole assistant turn

INJECTIONS = [
    "' OR '1'='1", "'; DROP TABLE invoices; --", "1; SELECT * FROM customers", "\" OR 1=1 --",
    "{{7*7}}", "${7*7}", "{% for c in customers %}{{c}}{% endfor %}", "{account_number}",
    "%(open_total)s", "<script>alert(1)</script>", "../../etc/passwd", "%00", "\\x00",
    "invoice 30918 please", "is F-2026-551 paid?", "statement for GLOBEX-002",
    "my account is SOYLENT-004 and invoice F-2026-602", "UNION SELECT amount FROM payments",
    "\u202eRTL override", "😡😡😡 !!!", "ＳＴＯＰ", "\ufeffhelp", "a\x00b\x1bc\x7f",
]
text_parts = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
    st.sampled_from(INJECTIONS),
    st.text(st.characters(min_codepoint=0, max_codepoint=31), max_size=20),
)
nasty_text = st.one_of(
    st.lists(text_parts, max_size=4).map(" ".join),
    st.integers(3_000, 60_000).map(lambda n: "ab c" * (n // 4)),  # huge
    st.just(""), st.just("   "),
)
nasty_bytes = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"\xff\xfe\xfd", b"\xc3(", b"\xed\xa0\x80", b"{\"text\": \"\xff\"}",
                     b"\x00" * 64, b"[]", b"null", b"{}", b"{\"text\": null}", b"\"text\"",
                     b"payload=%ZZ", b"a=" + b"%" * 50]),
    nasty_text.map(lambda t: t.encode("utf-8")),
    st.integers(100_000, 1_500_000).map(lambda n: b"x" * n),
)
content_types = st.sampled_from([
    None, "application/json", "application/x-www-form-urlencoded", "text/plain",
    "multipart/form-data; boundary=zz", "application/xml", "application/json; charset=latin-1",
    "application/octet-stream", "text/html; charset=utf-7"])


@pytest.fixture(scope="module", autouse=True)
def outside():
    with faked_providers(SLACK_HANDOFF_CHANNEL=AR_CHANNEL, RATE_LIMIT_MESSAGES="0") as apis:
        yield apis


@pytest.fixture(scope="module")
def ledger(assistant) -> ARApp:
    return ARApp(assistant)


@pytest.fixture(scope="module")
def others_data(ledger):
    """What belongs to each customer, keyed by account: open totals (in every language's
    format, as a reply might write them) and invoice numbers and open amounts."""
    found: dict[str, set[str]] = {}
    with ledger.session() as session:
        for customer in session.scalars(select(Customer)):
            summary = account_summary(customer, BUSINESS_DATE)
            marks = {formatting.money(summary.open_total, customer.currency, language)
                     for language in ("en", customer.language)}
            for invoice in customer.invoices:
                marks.add(invoice.invoice_number)
                if open_amount(invoice):
                    marks.add(formatting.money(open_amount(invoice), customer.currency, "en"))
            found[customer.account_number] = {m for m in marks if len(m) > 3}
    return found


def leaks(reply: str, own: str, others_data: dict, said: str = "") -> set[str]:
    """Another customer's marks in a reply (not counting what the sender wrote)."""
    return {mark for account, marks in others_data.items() if account != own
            for mark in marks if mark in reply and mark not in said}


def url(settings, path: str) -> str:
    return f"http://127.0.0.1:{settings.rasa_port}{path}"


def post(target: str, body: bytes, content_type, headers=None, **kwargs) -> requests.Response:
    sent = dict(headers or {})
    if content_type:
        sent["Content-Type"] = content_type
    return requests.post(target, data=body, headers=sent, timeout=120, **kwargs)


def clean(reply: requests.Response, allowed=range(200, 500)) -> None:
    assert reply.status_code in allowed, (reply.status_code, reply.text[:500])


# --- Twilio ---------------------------------------------------------------------------------

@FUZZ
@given(body=nasty_bytes, content_type=content_types,
       signature=st.sampled_from([None, "", "forged", "AAAA" * 7, "\u00e9"]))
def test_twilio_unsigned_or_forged_is_refused(assistant, body, content_type, signature):
    headers = {} if signature is None else {"X-Twilio-Signature": signature.encode()}
    reply = post(url(assistant, WEBHOOK_PATH), body, content_type, headers)
    clean(reply, {400, 403, 413})


@FEW
@given(text=nasty_text, extra=st.dictionaries(
    st.text("ABCXYZ", min_size=1, max_size=5), st.text(max_size=20), max_size=3))
def test_twilio_signed_messages_are_answered_with_janes_data_only(assistant, outside, ledger,
                                                                 others_data, text, extra):
    fields = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
              "From": JANE, "To": SMS_NUMBER, "Body": text, "NumMedia": "0", **extra}
    before = len(outside["twilio"].sent_to(JANE))
    reply = post(url(assistant, WEBHOOK_PATH), urllib.parse.urlencode(fields).encode(),
                 "application/x-www-form-urlencoded",
                 {"X-Twilio-Signature": twilio_signature(fields)})
    clean(reply, {200, 413})
    if reply.status_code == 200:
        assert "<Response/>" in reply.text
    wait_until_answered(ledger, "sms", JANE)  # acknowledged first, answered after
    sent = " ".join(m.body for m in outside["twilio"].sent_to(JANE)[before:])
    assert not leaks(sent, "ACME-001", others_data, text)


def test_twilio_replayed_and_reordered_deliveries_are_answered_once_each(assistant, outside,
                                                                         ledger):
    # Bob, not Jane: the fuzz above may have texted STOP (in some form) for her.
    sids = ["SM" + uuid.uuid4().hex for _ in range(3)]
    texts = ["what's our balance", "is INV-2026-0101 paid", "thanks"]
    order = [1, 0, 1, 2, 0, 2, 1]  # out of order, each more than once
    for index in order:
        fields = {"MessageSid": sids[index], "From": BOB, "To": SMS_NUMBER,
                  "Body": texts[index]}
        reply = post(url(assistant, WEBHOOK_PATH), urllib.parse.urlencode(fields).encode(),
                     "application/x-www-form-urlencoded",
                     {"X-Twilio-Signature": twilio_signature(fields)})
        clean(reply, {200})
    wait_until_answered(ledger, "sms", BOB)  # acknowledged first, answered after
    conversation = urllib.parse.quote(BOB, safe="+")
    events = requests.get(url(assistant, f"/conversations/{conversation}/tracker"),
                          params={"token": assistant.rasa_auth_token}, timeout=30).json()
    said = [e["text"] for e in events["events"] if e["event"] == "user"]
    assert [said.count(t) for t in texts] == [1, 1, 1]  # each delivery answered once


# --- Slack ----------------------------------------------------------------------------------

def slack_headers(body: bytes, secret: str = SECRET, age: int = 0) -> dict:
    ts = str(int(time.time()) - age)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest.hexdigest()}


@FUZZ
@given(body=nasty_bytes, content_type=content_types,
       forgery=st.sampled_from(["unsigned", "wrong secret", "stale", "garbage"]))
def test_slack_forged_deliveries_are_refused(assistant, body, content_type, forgery):
    headers = {"unsigned": {}, "wrong secret": slack_headers(body, "not-the-secret"),
               "stale": slack_headers(body, age=600),
               "garbage": {"X-Slack-Request-Timestamp": "x\u00e9", "X-Slack-Signature": "v0="}
               }[forgery]
    headers = {k: v.encode() for k, v in headers.items()}
    for path in ("/webhooks/slack/webhook", "/webhooks/slack/interactive"):
        clean(post(url(assistant, path), body, content_type, headers), {400, 401, 403, 413})


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              nasty_text), lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=8), inner,
                                                                   max_size=3)), max_leaves=8)


@FUZZ
@given(body=st.one_of(nasty_bytes, json_values.map(lambda v: json.dumps(v).encode()),
                      st.fixed_dictionaries({"type": st.sampled_from(
                          ["event_callback", "url_verification", "app_rate_limited", ""]),
                          "event": json_values, "event_id": json_values,
                          "challenge": json_values}).map(lambda v: json.dumps(v).encode())),
       content_type=content_types)
def test_slack_signed_but_malformed_events_get_a_clean_answer(assistant, body, content_type):
    try:
        body.decode("utf-8")
        allowed = {200, 400, 413}
    except UnicodeDecodeError:  # Slack signs text: such a body cannot be Slack's
        allowed = {403, 413}
    clean(post(url(assistant, "/webhooks/slack/webhook"), body, content_type,
               slack_headers(body)), allowed)


@FEW
@given(text=nasty_text, event_type=st.sampled_from(["message", "app_mention"]),
       subtype=st.sampled_from([None, "file_share", "thread_broadcast", "bot_message",
                                "message_changed", "weird"]))
def test_slack_signed_messages_are_answered_with_peters_data_only(
        assistant, outside, others_data, text, event_type, subtype):
    ts = f"{time.time():.6f}"
    event = {"type": event_type, "user": PETER, "text": text, "channel": "C0FUZZ", "ts": ts,
             "team": "T0INITECH", **({"subtype": subtype} if subtype else {})}
    body = json.dumps({"type": "event_callback", "event_id": "Ev" + uuid.uuid4().hex,
                       "team_id": "T0NORTHWIND", "event": event}).encode()
    clean(post(url(assistant, "/webhooks/slack/webhook"), body, "application/json",
               slack_headers(body)), {200})
    time.sleep(0.3)
    posted = " ".join(p.text for p in outside["slack"].posts("C0FUZZ") if p.thread_ts == ts)
    assert not leaks(posted, "INITECH-003", others_data, text)


def test_slack_retries_and_reordered_events_are_answered_once(assistant, outside):
    slack = outside["slack"]
    stamps = [f"{time.time() + n:.6f}" for n in range(2)]
    payloads = [json.dumps({"type": "event_callback", "event_id": f"EvReplay{n}{uuid.uuid4().hex}",
                            "team_id": "T0NORTHWIND",
                            "event": {"type": "message", "user": PETER, "channel": "C0REPLAY",
                                      "text": "how much do we owe?", "ts": stamps[n],
                                      "team": "T0INITECH"}}).encode() for n in range(2)]
    for n, retry in [(1, None), (0, None), (1, "1"), (0, "1"), (1, "2")]:
        headers = slack_headers(payloads[n])
        if retry:
            headers.update({"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"})
        clean(post(url(assistant, "/webhooks/slack/webhook"), payloads[n], "application/json",
                   headers), {200})
    assert until(lambda: all(any(p.thread_ts == ts for p in slack.posts("C0REPLAY"))
                             for ts in stamps), 90)
    time.sleep(2)
    answers = [p for p in slack.posts("C0REPLAY") if p.text.startswith("Initech Ltd has")]
    assert sorted(p.thread_ts for p in answers) == stamps  # one answer per message


@FUZZ
@given(payload=st.one_of(nasty_text, json_values.map(json.dumps),
                         st.fixed_dictionaries({"type": st.sampled_from(
                             ["block_actions", "view_submission", "shortcut", "x"]),
                             "actions": json_values, "user": json_values,
                             "channel": json_values}).map(json.dumps)),
       form=st.booleans())
def test_slack_signed_but_malformed_interactive_payloads_get_a_clean_answer(
        assistant, payload, form):
    body = (urllib.parse.urlencode({"payload": payload}).encode() if form
            else payload.encode("utf-8"))
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    clean(post(url(assistant, "/webhooks/slack/interactive"), body, content_type,
               slack_headers(body)), {200, 400, 401, 403, 404, 413})


# --- web chat, documents, REST --------------------------------------------------------------

@FUZZ
@given(body=st.one_of(nasty_bytes, json_values.map(lambda v: json.dumps(v).encode()),
                      st.fixed_dictionaries({"text": nasty_text, "sender": st.just("+14155550101"),
                                             "display": json_values}).map(
                          lambda v: json.dumps(v).encode())),
       content_type=content_types,
       cookie=st.one_of(st.none(), st.text(st.characters(min_codepoint=33, max_codepoint=126,
                                                         blacklist_characters=";,"),
                                           max_size=200)))
def test_web_chat_posts_and_cookies_get_a_clean_answer_and_no_ones_data(
        assistant, others_data, body, content_type, cookie):
    cookies = {"ar_webchat": cookie} if cookie is not None else {}
    reply = post(url(assistant, "/webhooks/webchat/message"), body, content_type,
                 cookies=cookies)
    clean(reply, {200, 202, 400, 413})
    assert reply.headers["Content-Type"].startswith("application/json")
    history = requests.get(url(assistant, "/webhooks/webchat/history"), cookies=cookies,
                           timeout=30)
    clean(history, {200})
    # Unverified: no customer's figures or invoices but what the visitor wrote.
    said = body.decode("utf-8", "replace")
    for account in others_data:
        assert not leaks(reply.text + history.text, account, {account: others_data[account]},
                         said)


@FUZZ
@given(token=st.one_of(st.text(max_size=300), st.sampled_from(
    ["..%2F..%2Fetc%2Fpasswd", "%00", "a" * 5000, "x.y.z", "' OR 1=1", "{{7*7}}"])),
    method=st.sampled_from(["GET", "HEAD"]),
    language=st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40))
def test_document_links_that_are_not_ours_get_a_page_never_a_document(assistant, token,
                                                                        method, language):
    target = url(assistant, "/webhooks/documents/d/" + urllib.parse.quote(token, safe="%"))
    reply = requests.request(method, target, timeout=30,
                             headers={"Accept-Language": language.encode("latin-1")})
    clean(reply, {400, 404, 410, 414})
    assert not reply.content.startswith(b"%PDF")


@FEW
@given(body=st.one_of(nasty_bytes, json_values.map(lambda v: json.dumps(v).encode()),
                      st.fixed_dictionaries({"sender": st.one_of(nasty_text, st.just(JANE)),
                                             "message": nasty_text}).map(
                          lambda v: json.dumps(v).encode())),
       content_type=content_types)
def test_rest_webhook_gets_a_clean_answer_and_no_figure_before_verification(
        assistant, others_data, body, content_type):
    reply = post(url(assistant, "/webhooks/rest/webhook"), body, content_type)
    clean(reply, {200, 400, 413})
    said = body.decode("utf-8", "replace")
    for account in others_data:  # a REST sender proves nothing: nobody's figures
        assert not leaks(reply.text, account, {account: others_data[account]}, said)


@pytest.mark.parametrize("claimed", ["twilio", "slack", "webchat"])
def test_a_rest_caller_claiming_a_customers_channel_and_id_gets_no_figure(
        assistant, others_data, claimed):
    sender = {"slack": PETER, "webchat": "web-" + uuid.uuid4().hex}.get(claimed, JANE)
    body = json.dumps({"sender": sender, "message": "how much do we owe?",
                       "input_channel": claimed}).encode()
    reply = post(url(assistant, "/webhooks/rest/webhook"), body, "application/json")
    clean(reply, {200})
    assert "confirm who you are" in reply.text
    for account in others_data:
        assert not leaks(reply.text, account, {account: others_data[account]})


# --- the managers' console -------------------------------------------------------------------

def console_login(console, name: str) -> requests.Session:
    http = requests.Session()
    token = re.search(r'name="csrf" value="([^"]+)"',
                      http.get(console.url + "/login").text).group(1)
    reply = http.post(console.url + "/login", data={
        "csrf": token, "username": name, "password": USERS[name][1]}, allow_redirects=False)
    assert reply.status_code == 302
    return http


@pytest.fixture(scope="module")
def manager(running_console):
    return console_login(running_console, "maya")


@pytest.fixture(scope="module")
def collector(running_console):
    return console_login(running_console, "cole")


def csrf_of(http: requests.Session, console) -> str:
    return re.search(r'name="csrf" value="([^"]+)"',
                     http.get(console.url + "/conversations").text).group(1)


@FUZZ
@given(username=nasty_text, password=nasty_text, csrf=st.one_of(st.none(), nasty_text),
       content_type=content_types, raw=st.one_of(st.none(), nasty_bytes))
def test_console_login_form_fuzzed_is_refused_cleanly(running_console, username, password,
                                                      csrf, content_type, raw):
    http = requests.Session()
    http.get(running_console.url + "/login")
    fields = {"username": username, "password": password, **({"csrf": csrf} if csrf else {})}
    body = raw if raw is not None else urllib.parse.urlencode(fields).encode()
    reply = post(running_console.url + "/login", body, content_type, cookies=http.cookies,
                 allow_redirects=False)
    clean(reply, {200, 400, 401, 403, 413, 429})
    assert "ar_console=" not in reply.headers.get("Set-Cookie", "")


filter_names = st.sampled_from(["q", "from", "to", "customer", "channel", "language",
                                "intent", "handed_off", "outcome", "low_confidence",
                                "frustration", "tag", "reviewed", "page", "period", "days"])
queries = st.dictionaries(filter_names, st.one_of(nasty_text, st.sampled_from(
    ["2026-13-45", "-1", "99999999999999999999", "1e309", "NaN", "AND", "\"", "*", "NEAR(",
     "disput*", "OR OR", "^", "(", "a:b"])), max_size=4)


@FUZZ
@given(path=st.sampled_from(["/conversations", "/export.csv", "/export.json", "/dashboard",
                             "/inbox", "/audit", "/conversations/1", "/conversations/999999",
                             "/conversations/1/export.csv", "/conversations/by-id/x%00y"]),
       query=queries)
def test_console_pages_filters_search_and_exports_fuzzed(running_console, manager,
                                                         collector, path, query):
    for who in (manager, collector):
        reply = who.get(running_console.url + path, params=query, allow_redirects=False)
        clean(reply, {200, 302, 400, 403, 404, 413, 414})  # 413/414: a huge query string
    anonymous = requests.get(running_console.url + path, params=query, allow_redirects=False)
    clean(anonymous, {302, 404, 413, 414})
    assert "what do we owe" not in anonymous.text


@FUZZ
@given(action=st.sampled_from(["/conversations/1/tags", "/conversations/1/tags/remove",
                               "/conversations/1/review", "/conversations/1/story",
                               "/conversations/999999/tags", "/filters", "/filters/1/delete",
                               "/filters/999999/delete", "/inbox/1", "/inbox/999999",
                               "/conversations/1/erase"]),
       fields=st.dictionaries(st.sampled_from(["tag", "note", "name", "reviewed", "intent",
                                               "entities", "verdict", "query", "contact"]),
                              nasty_text, max_size=3),
       with_csrf=st.booleans(), raw=st.one_of(st.none(), nasty_bytes),
       content_type=content_types)
def test_console_posts_fuzzed_need_the_csrf_token_and_never_fail(
        running_console, manager, action, fields, with_csrf, raw, content_type):
    if with_csrf:
        fields = {**fields, "csrf": csrf_of(manager, running_console)}
    body = raw if raw is not None else urllib.parse.urlencode(fields).encode()
    content_type = content_type if raw is not None else "application/x-www-form-urlencoded"
    reply = manager.post(running_console.url + action, data=body, allow_redirects=False,
                         headers={"Content-Type": content_type} if content_type else {})
    clean(reply, {200, 302, 303, 400, 403, 404, 413})
    if not with_csrf:
        assert reply.status_code in (400, 403, 404, 413)
