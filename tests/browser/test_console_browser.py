"""The managers' console in a real headless chromium: a manager logs in, filters,
searches, opens a transcript, corrects a message in the review inbox and finds it in the
training data, exports, and reads the dashboard; an anonymous visitor and a collector
get no transcript and no export. AR_CONSOLE_SCREENSHOTS=DIR keeps the README's pictures."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.console_server import USERS, running_console  # noqa: F401  (the console process)

SCREENSHOTS = os.environ.get("AR_CONSOLE_SCREENSHOTS")


@pytest.fixture
def page(browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    yield context.new_page()
    context.close()


def picture(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"console-{name}.png"), full_page=True)


def log_in(page: Page, console, name: str) -> None:
    page.goto(console.url + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", USERS[name][1])
    page.click("button:has-text('Log in')")


def rows(page: Page):
    return page.locator("tr[data-conversation]")


def test_a_manager_filters_searches_opens_exports_and_reads_the_dashboard(page, running_console):
    log_in(page, running_console, "maya")
    expect(page.locator("h1")).to_have_text("Conversations")
    expect(rows(page)).to_have_count(6)
    picture(page, "list")

    page.select_option("#f-channel", "slack")
    page.click("button:has-text('Filter')")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("INITECH-003")

    page.click("text=Clear")
    page.fill("input[name=q]", "disputar")
    page.click("button:has-text('Filter')")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("SOYLENT-004")
    with page.expect_download() as download:
        page.click(".exports >> text=CSV")
    exported = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {r["conversation"] for r in exported} == {"web-c2"}
    assert [r["speaker"] for r in exported] == ["customer", "bot", "customer", "bot"]

    page.goto(running_console.url + "/conversations?handed_off=yes")
    rows(page).first.locator("a").click()
    transcript = page.locator(".transcript .msg")
    expect(transcript).to_have_count(5)
    expect(transcript.nth(0)).to_contain_text("blorf zzz quux")
    expect(transcript.nth(0)).to_contain_text("nlu_fallback (0.40)")
    expect(transcript.nth(4).locator(".speaker")).to_have_text("Ana Lopez")
    expect(page.locator("#record-HND-BBBBBB")).to_contain_text("handoff")
    expect(page.locator(".handoff")).to_contain_text("Ana Lopez wrote to the customer")
    picture(page, "conversation")

    page.click("nav >> text=Dashboard")
    page.fill("input[name=from]", "2026-11-01")
    page.fill("input[name=to]", "2026-11-23")
    page.click("button:has-text('Show')")
    expect(page.locator('[data-figure="Self-service rate"] b')).to_have_text("80.0%")
    expect(page.locator('[data-figure="Promises kept"] b')).to_have_text("1")
    expect(page.locator("svg.chart rect[data-category=slack]")).to_have_count(1)
    picture(page, "dashboard")


def test_a_correction_in_the_inbox_lands_in_the_training_data(page, running_console):
    log_in(page, running_console, "maya")
    page.click("nav >> text=Review inbox")
    picture(page, "inbox")
    item = page.locator("li.review", has_text="blorf zzz quux")
    # the classifier's runner-up is one click away
    expect(item.locator("button.likely")).to_have_text(["It is out_of_scope", "It is greet"])
    item.locator("button:has-text('It is out_of_scope')").click()
    expect(page.locator(".flash")).to_contain_text("Saved as out_of_scope")
    # any other intent: pick it, save it
    item = page.locator("li.review", has_text="wir zahlen 5000 nächste Woche")
    item.locator("select[name=intent]").select_option("promise_to_pay")
    item.locator("button:has-text('Save correction')").click()
    expect(page.locator(".flash")).to_contain_text("Saved as promise_to_pay")
    expect(page.locator("li.review")).to_have_count(0)
    data = yaml.safe_load((running_console.nlu_dir / "en" / "reviewed.yml").read_text())
    assert {"intent": "out_of_scope", "examples": "- blorf zzz quux\n"} in data["nlu"]
    german = yaml.safe_load((running_console.nlu_dir / "de" / "reviewed.yml").read_text())
    assert german["nlu"] == [{"intent": "promise_to_pay", "examples": "- wir zahlen 5000 nächste Woche\n"}]


def test_an_anonymous_visitor_and_a_collector_see_no_transcript_and_no_export(page, running_console):
    for path in ("/conversations", "/conversations/1", "/export.csv"):
        page.goto(running_console.url + path)
        expect(page.locator("h1")).to_have_text("Log in")
    log_in(page, running_console, "cole")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("nav")).not_to_contain_text("Conversations")
    for path in ("/conversations", "/conversations/2", "/inbox"):
        reply = page.goto(running_console.url + path)
        assert reply.status == 403
        expect(page.locator("main")).not_to_contain_text("what do we owe")
    reply = page.request.get(running_console.url + "/export.json")
    assert reply.status == 403 and "disputar" not in reply.text()
