"""Conversations over every channel on a ledger whose identifiers have none of the demo's
shapes (tests/ledgers/foreign_shapes: numeric accounts and invoices, slashes, zero-padded
and lower-case references): REST and web chat (verified by account and invoice), SMS and
WhatsApp (signed Twilio webhooks, replies through the real SDK to a fake Twilio), Slack
(signed events, replies to a fake Slack). Nothing here may depend on the demo's formats."""

from __future__ import annotations

import http.cookiejar
import os
import re
from unittest import mock

import pytest

from bot.runtime.app import ARApp
from tests.conftest import FOREIGN_SHAPES
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.integration.chat import visitor
from tests.integration.providers import provider_settings
from tests.integration.test_slack_channel import TOKEN, SlackChannel, open_total
from tests.integration.test_twilio_channel import (ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_SENDER,
                                                   Phone)
from tests.integration.test_webchat import WebVisitor

pytestmark = pytest.mark.servers

MAYA = "+447911123456"  # Kestrel Fabrication (400123), SMS; Slack U0KESTREL1
OMAR = "+447911123457"  # Kestrel Fabrication, WhatsApp
JONAS_SLACK = "U0HALVOR1"  # Halvorsen Logistik (000981), German
# Any figure at all: a not-found answer must carry none.
FIGURE = re.compile(r"[$€]|\d[.,]\d{2}\b")


@pytest.fixture(scope="module")
def ledger_folder():
    return FOREIGN_SHAPES


@pytest.fixture(scope="module", autouse=True)
def providers():
    """Fake Twilio and Slack APIs, and the settings pointing the assistant at them (in
    place before the `assistant` fixture starts the servers)."""
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio, FakeSlackAPI(TOKEN) as slack:
        env = provider_settings(twilio, slack)
        with mock.patch.dict(os.environ, env):
            yield twilio, slack


@pytest.fixture(scope="module")
def ledger(assistant) -> ARApp:
    return ARApp(assistant)


def phone(assistant, providers, number: str) -> Phone:
    texting = Phone(assistant, providers[0], number)
    texting.new_messages()
    return texting


def sms_says(texting: Phone, text: str) -> str:
    texting.texts(text)
    return texting.reads_whole_answer()


def verified_kestrel(talk, first_question: str) -> str:
    """A web visitor proving they are Kestrel with its numeric account number and an
    invoice number in its own slash shape; returns the answer to the first question."""
    assert "confirm who you are" in talk(first_question)
    asked = talk("400123")
    assert "number of any invoice" in asked, asked
    answer = talk("2026/0142")
    assert "verified for Kestrel Fabrication Ltd (400123)" in answer, answer
    return answer


class _BehindHTTPS(http.cookiejar.DefaultCookiePolicy):
    """PUBLIC_BASE_URL is https here (as Twilio needs), so the web chat cookie is Secure;
    the browser sends it to the https address, and the test talks to the loopback behind."""

    def return_ok_secure(self, cookie, request):
        return True


def browser_behind_https(assistant) -> WebVisitor:
    browser = WebVisitor(assistant)
    browser.jar.set_policy(_BehindHTTPS())
    return browser


def assert_same_not_found(first: str, second: str, first_id: str, second_id: str) -> None:
    assert first_id in first and second_id in second
    assert first.replace(first_id, "N") == second.replace(second_id, "N")
    assert not FIGURE.search(first) and not FIGURE.search(second)
    assert "Yes" not in first and "Halvorsen" not in first


def test_rest_visitor_verifies_with_foreign_shapes_and_asks_by_each_shape(assistant, ledger):
    maya = visitor(assistant)
    balance = verified_kestrel(maya.says, "hi, what do we owe?")
    assert "verified for Kestrel Fabrication Ltd (400123)" in balance
    assert f"{open_total(ledger, '400123')} open" in balance
    assert "Invoice 81234 for $4,120.00 is paid in full" in maya.says("is invoice 81234 paid?")
    assert "Invoice 2026/0142: $1,500.00 open of $2,500.00" in maya.says(
        "what's the status of 2026/0142?")
    assert "Invoice fac-000123: $412.50 open" in maya.says("is invoice FAC-000123 paid?")
    assert "Invoice 0000771: $950.00 open" in maya.says("is invoice nº 771 still open?")
    received = maya.says("did you get our payment Ref 000045123?")
    assert received.startswith("Yes: we received $1,000.00 by ACH on Nov 10, 2026 "
                               "(reference 000045123)"), received
    assert "(reference WIRE-5520)" in maya.says("did you receive wire 5520?")
    assert "(reference chq-10991)" in maya.says("has check CHQ-10991 been received?")


def test_rest_another_customers_invoice_and_payment_read_as_unknown(assistant):
    maya = visitor(assistant)
    verified_kestrel(maya.says, "what is our balance")
    theirs = maya.says("is invoice 81235 paid?")  # Halvorsen's
    nobodys = maya.says("is invoice 81299 paid?")
    assert "couldn't find invoice 81235" in theirs
    assert_same_not_found(theirs, nobodys, "81235", "81299")
    theirs = maya.says("did you get our payment ref 000045124?")  # Halvorsen's
    nobodys = maya.says("did you get our payment ref 000045999?")
    assert "couldn't find 000045124" in theirs
    assert_same_not_found(theirs, nobodys, "000045124", "000045999")


def test_web_chat_visitor_asks_by_a_foreign_shape_and_about_another_customers(assistant):
    browser = browser_behind_https(assistant)
    verified_kestrel(browser.says, "how much do we owe?")
    assert "(reference WIRE-5520)" in browser.says("did you get WIRE-5520?")
    theirs = browser.says("is invoice 2026/0143 paid?")  # Halvorsen's
    nobodys = browser.says("is invoice 2026/0199 paid?")
    assert_same_not_found(theirs, nobodys, "2026/0143", "2026/0199")


def test_sms_balance_invoice_and_payment_by_each_shape(assistant, providers, ledger):
    maya = phone(assistant, providers, MAYA)
    assert f"Kestrel Fabrication Ltd has {open_total(ledger, '400123')} open" in sms_says(
        maya, "hi, what's our balance?")
    assert "Invoice 41250: $1,780.00 open" in sms_says(maya, "is invoice 41250 paid?")
    assert "Invoice 2026/0142: $1,500.00 open" in sms_says(maya, "is inv 2026-0142 paid?")
    assert "(reference 000045123)" in sms_says(maya, "did you get our payment ref 45123?")
    assert "(reference chq-10991)" in sms_says(maya, "did you receive chq-10991?")


def test_sms_another_customers_numbers_get_the_unknown_answer(assistant, providers):
    maya = phone(assistant, providers, MAYA)
    theirs = sms_says(maya, "is invoice fac-000124 paid?")  # Halvorsen's
    nobodys = sms_says(maya, "is invoice fac-000999 paid?")
    assert_same_not_found(theirs, nobodys, "fac-000124", "fac-000999")
    theirs = sms_says(maya, "did you get our payment WIRE-5521?")  # Halvorsen's
    nobodys = sms_says(maya, "did you get our payment WIRE-5599?")
    assert_same_not_found(theirs, nobodys, "WIRE-5521", "WIRE-5599")


def test_whatsapp_balance_invoice_payment_and_unknowns(assistant, providers, ledger):
    omar = phone(assistant, providers, "whatsapp:" + OMAR)
    assert f"{open_total(ledger, '400123')} open" in sms_says(omar, "what do we owe?")
    assert "Invoice fac-000123: $412.50 open" in sms_says(omar, "is invoice fac 123 paid?")
    assert "(reference WIRE-5520)" in sms_says(omar, "did you receive our payment WIRE-5520?")
    theirs = sms_says(omar, "is invoice 2026/0150 paid?")  # Cerámicas Albarán's
    nobodys = sms_says(omar, "is invoice 2026/0151 paid?")
    assert_same_not_found(theirs, nobodys, "2026/0150", "2026/0151")
    assert all(m.from_ == WHATSAPP_SENDER for m in providers[0].sent_to(omar.number))


def test_slack_in_german_balance_invoice_payment_and_unknowns(assistant, providers, ledger):
    shared = SlackChannel(ledger, providers[1], "C0HALVORSEN")
    balance = shared.says(JONAS_SLACK, "wie hoch ist unser offener saldo?")
    assert f"{open_total(ledger, '000981')}" in balance
    paid = shared.says(JONAS_SLACK, "ist die rechnung 2026/0143 schon bezahlt?")
    assert "2026/0143" in paid and "2.750,00" in paid
    received = shared.says(JONAS_SLACK, "ist unsere zahlung 000045124 angekommen?")
    assert received.startswith("Ja: 2.750,00"), received
    theirs = shared.says(JONAS_SLACK, "ist die rechnung 2026/0142 bezahlt?")  # Kestrel's
    nobodys = shared.says(JONAS_SLACK, "ist die rechnung 2026/0999 bezahlt?")
    assert "Rechnung 2026/0142" in theirs and "nicht finden" in theirs
    assert_same_not_found(theirs, nobodys, "2026/0142", "2026/0999")
    theirs = shared.says(JONAS_SLACK, "ist die zahlung 000045123 angekommen?")  # Kestrel's
    nobodys = shared.says(JONAS_SLACK, "ist die zahlung 000045777 angekommen?")
    assert_same_not_found(theirs, nobodys, "000045123", "000045777")
    assert "1.000,00" not in theirs and "Kestrel" not in theirs
