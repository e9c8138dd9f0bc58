"""The web chat page in a real headless chromium: a customer verifies, sees their balance,
reloads and goes on; and how the page draws what the assistant sends."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.servers

# `browser` (chromium) and `chat_url` (the page on the real servers): tests/browser/conftest.py.

PHONE = {"width": 360, "height": 640}
ANSWER_MS = 90_000  # the real assistant's slowest turn, with room to spare


@pytest.fixture
def page(browser, request) -> Page:
    locale = getattr(request, "param", "en-US")
    context = browser.new_context(viewport=PHONE, locale=locale)
    yield context.new_page()
    context.close()


def say(page: Page, text: str) -> str:
    """Type text, press Enter, wait for the assistant; what it answered."""
    before = page.locator(".msg.bot").count()
    page.fill("#text", text)
    page.press("#text", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('.msg.bot').length > n"
        " && document.getElementById('typing').hidden", arg=before, timeout=ANSWER_MS)
    return "\n".join(page.locator(".msg.bot").all_inner_texts()[before:])


def test_a_customer_verifies_sees_the_balance_and_goes_on_after_a_reload(page, chat_url):
    page.goto(chat_url)
    reply = say(page, "what's our balance?")
    assert "account number" in reply and "$" not in reply
    assert "invoice" in say(page, "ACME-001")
    say(page, "INV-2026-0101")
    log = page.locator("#log")
    expect(log).to_contain_text("$16,225.50")

    page.reload()
    expect(log).to_contain_text("what's our balance?")
    expect(log).to_contain_text("$16,225.50")
    reply = say(page, "what's the status of INV-2026-0101")
    assert "INV-2026-0101" in reply and "confirm who you are" not in reply

    say(page, "<b>hi</b>")
    expect(page.locator(".msg.user").last).to_have_text("<b>hi</b>")
    assert page.locator("#log b").count() == 0
    # usable at phone width: nothing wider than the screen, the send button on it
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = page.locator("#send").bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"] and box["y"] + box["height"] <= PHONE["height"]


class HeldMessages:
    """Holds the page's POSTs to `message` until the test answers them."""

    def __init__(self, page: Page):
        self.page, self.held = page, []
        page.route("**/webhooks/webchat/message", self.hold)

    def hold(self, route: Route) -> None:
        self.held.append(route)

    def next(self) -> Route:
        self.page.wait_for_function("() => !document.getElementById('typing').hidden")
        while not self.held:
            self.page.wait_for_timeout(50)
        return self.held.pop(0)

    @staticmethod
    def answer(route: Route, messages: list[dict], status: int = 200) -> None:
        body = {"messages": messages} if status == 200 else {"error": "refused"}
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


def test_the_page_draws_text_links_buttons_images_and_documents_safely(page, chat_url):
    page.goto(chat_url)
    server = HeldMessages(page)
    page.fill("#text", "show me everything")
    page.click("#send")
    route = server.next()
    expect(page.locator("#typing")).to_be_visible()
    assert json.loads(route.request.post_data) == {"text": "show me everything"}
    server.answer(route, [
        {"text": "Line one <script>window.pwned = 1</script>\n"
                 "Pay at https://pay.example.com/pay?invoice=INV-1.",
         "buttons": [{"title": "Pay now", "payload": "/pay_now"},
                     {"title": "Later", "payload": "/later"}]},
        {"image": "https://example.com/chart.png"},
        {"attachment": "https://docs.example.com/invoices/INV-2026-0101.pdf"},
        {"text": "bad link javascript:alert(1)", "image": "javascript:alert(1)"},
    ])
    bot = page.locator(".msg.bot")
    expect(bot).to_have_count(4)
    expect(page.locator("#typing")).to_be_hidden()
    expect(bot.nth(0)).to_contain_text("<script>window.pwned = 1</script>")
    assert page.evaluate("window.pwned") is None
    assert page.locator("#log script").count() == 0
    assert bot.nth(0).locator("br").count() == 1
    link = bot.nth(0).locator("a")
    expect(link).to_have_attribute("href", "https://pay.example.com/pay?invoice=INV-1")
    expect(link).to_have_attribute("target", "_blank")
    assert "noopener" in link.get_attribute("rel")
    expect(bot.nth(1).locator("img")).to_have_attribute("src", "https://example.com/chart.png")
    document = bot.nth(2).locator("a")
    expect(document).to_contain_text("INV-2026-0101.pdf")
    expect(document).to_have_attribute("target", "_blank")
    assert bot.nth(3).locator("a, img").count() == 0

    page.get_by_role("button", name="Pay now").click()
    route = server.next()
    assert json.loads(route.request.post_data) == {"text": "/pay_now", "display": "Pay now"}
    expect(page.locator(".msg.user").last).to_have_text("Pay now")
    server.answer(route, [{"text": "Here is the link."}])
    expect(bot).to_have_count(5)
    expect(page.get_by_role("button", name="Later")).to_be_disabled()


def test_the_page_says_when_a_message_is_too_long_or_the_server_is_unreachable(page, chat_url):
    page.goto(chat_url)
    server = HeldMessages(page)
    page.press("#text", "Enter")  # nothing typed: nothing sent
    assert page.locator(".msg.user").count() == 0

    page.fill("#text", "x" * 2500)
    page.press("#text", "Enter")
    server.answer(server.next(), [], status=413)
    expect(page.locator("#error")).to_contain_text("too long")
    expect(page.locator("#text")).to_have_value("x" * 2500)  # kept, to shorten
    assert page.locator(".msg.user").count() == 0

    page.fill("#text", "hello?")
    page.press("#text", "Enter")
    server.next().abort()
    expect(page.locator("#error")).to_contain_text("Cannot reach the assistant")
    expect(page.locator("#text")).to_have_value("hello?")


@pytest.mark.parametrize("page, placeholder, send", [
    ("es-ES", "Escriba su mensaje", "Enviar"), ("fr-FR", "Écrivez votre message", "Envoyer"),
    ("de-DE", "Nachricht eingeben", "Senden"), ("pt-BR", "Digite sua mensagem", "Enviar"),
    ("it-IT", "Type your message", "Send"),
], indirect=["page"])
def test_the_pages_own_words_follow_the_browsers_language(page, chat_url, placeholder, send):
    page.goto(chat_url)
    expect(page.locator("#text")).to_have_attribute("placeholder", placeholder)
    expect(page.locator("#send")).to_have_text(send)
