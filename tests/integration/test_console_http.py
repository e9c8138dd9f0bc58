"""The console over HTTP, as its own process: logins, roles, CSRF, lockout, the list,
a conversation, tags and notes, exports with masking, the review inbox writing training
data, the dashboard, erasure and the retention command."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import requests
import yaml

from tests.console_server import USERS, running_console  # noqa: F401  (the fixture)


def login(console, name: str) -> requests.Session:
    http = requests.Session()
    form = http.get(console.url + "/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    reply = http.post(console.url + "/login", data={
        "csrf": token, "username": name, "password": USERS[name][1]}, allow_redirects=False)
    assert reply.status_code == 302, reply.text
    return http


def csrf(http: requests.Session, console, path: str = "/conversations") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', http.get(console.url + path).text).group(1)


def conversation_path(http, console, sender: str) -> str:
    reply = http.get(f"{console.url}/conversations/by-id/{requests.utils.quote(sender, safe='')}",
                     allow_redirects=False)
    return reply.headers["Location"]


@pytest.mark.parametrize("path", ["/conversations", "/conversations/1", "/export.csv",
                                  "/export.json", "/conversations/1/export.json", "/inbox",
                                  "/dashboard"])
def test_an_anonymous_request_gets_the_login_page_and_no_transcript(running_console, path):
    reply = requests.get(running_console.url + path, allow_redirects=False)
    assert reply.status_code == 302 and reply.headers["Location"] == "/login"
    assert "disputar" not in reply.text and "Ana" not in reply.text


@pytest.mark.parametrize("path", ["/conversations", "/conversations/1", "/export.csv",
                                  "/export.json", "/conversations/1/export.csv", "/inbox"])
def test_a_collector_gets_no_transcript_and_no_export(running_console, path):
    http = login(running_console, "cole")
    reply = http.get(running_console.url + path, allow_redirects=False)
    assert reply.status_code == 403
    assert "disputar" not in reply.text and "what do we owe" not in reply.text
    assert http.get(running_console.url + "/dashboard").status_code == 200


def test_session_cookie_is_httponly_and_strict_and_forms_need_the_csrf_token(running_console):
    http = requests.Session()
    page = http.get(running_console.url + "/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    forged = requests.post(running_console.url + "/login", data={
        "csrf": "forged", "username": "maya", "password": USERS["maya"][1]}, allow_redirects=False)
    assert forged.status_code == 403 and "ar_console=" not in forged.headers.get("Set-Cookie", "")
    reply = http.post(running_console.url + "/login", data={
        "csrf": token, "username": "maya", "password": USERS["maya"][1]}, allow_redirects=False)
    cookie = reply.headers["Set-Cookie"]
    assert "ar_console=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
    path = conversation_path(http, running_console, "web-c2")
    no_token = http.post(running_console.url + path + "/tags", data={"tag": "x"}, allow_redirects=False)
    assert no_token.status_code == 403
    assert "x</li>" not in http.get(running_console.url + path).text


def test_behind_https_the_cookies_are_secure():
    from bot.console.web import _cookie
    from bot.settings import load_settings
    from sanic import response

    for url, secure in (("https://console.example.com", True), ("http://127.0.0.1:5080", False)):
        reply = response.text("")
        _cookie(reply, "ar_console", "token", load_settings({"CONSOLE_PUBLIC_URL": url}), 60)
        assert ("Secure" in str(reply.cookies["ar_console"])) is secure


def test_repeated_failures_lock_the_account_even_for_the_right_password(running_console):
    running_console.cli("add-user", "lou", "--role", "manager", stdin="lou-long-password-9\n")
    http = requests.Session()
    token = re.search(r'name="csrf" value="([^"]+)"', http.get(running_console.url + "/login").text).group(1)
    for _ in range(3):
        wrong = http.post(running_console.url + "/login", data={
            "csrf": token, "username": "lou", "password": "not-it"}, allow_redirects=False)
        assert wrong.status_code == 401
    right = http.post(running_console.url + "/login", data={
        "csrf": token, "username": "lou", "password": "lou-long-password-9"}, allow_redirects=False)
    assert right.status_code == 401 and "Too many failed attempts" in right.text


def test_add_user_refuses_a_short_password_and_never_takes_it_from_argv(running_console):
    short = running_console.cli("add-user", "sam", "--role", "manager", stdin="short\n")
    assert short.returncode == 1 and "at least 12" in short.stderr
    argv = running_console.cli("add-user", "sam", "--role", "manager", "--password", "x" * 20)
    assert argv.returncode != 0


def test_the_list_filters_searches_and_masks_for_a_manager(running_console):
    http = login(running_console, "maya")
    page = http.get(running_console.url + "/conversations").text
    assert page.count("<tr data-conversation") == 6
    assert "+•••••••••01" in page and "+14155550101" not in page
    found = http.get(running_console.url + "/conversations", params={"q": "disputar"}).text
    assert found.count("<tr data-conversation") == 1 and "SOYLENT-004" in found
    slack = http.get(running_console.url + "/conversations", params={"channel": "slack", "language": "de"}).text
    assert slack.count("<tr data-conversation") == 1 and "U03INITECH" in slack
    bad = http.get(running_console.url + "/conversations", params={"date_from": "soon"})
    assert bad.status_code == 400 and "date from" in bad.text


def test_a_conversation_shows_who_said_what_the_records_and_the_handoff(running_console):
    http = login(running_console, "maya")
    page = http.get(running_console.url + conversation_path(http, running_console, "web-c3")).text
    assert page.index("blorf zzz quux") < page.index("Sorry, I didn") < page.index("agent please")
    assert "Ana Lopez" in page and "nlu_fallback</b> (0.40)" in page and "action_request_human" in page
    assert 'id="record-HND-BBBBBB"' in page and "misunderstanding" in page
    assert "Ana Lopez wrote to the customer" in page
    c5 = http.get(running_console.url + conversation_path(http, running_console, "web-c5")).text
    assert "c•••@umbrella.example" in c5 and "camille.martin@" not in c5
    assert 'id="record-DOC-DDDDDD"' in c5 and '<a href="#record-DOC-DDDDDD">DOC-DDDDDD</a>' in c5


def test_tags_note_reviewed_mark_and_saved_filters(running_console):
    http = login(running_console, "maya")
    path = conversation_path(http, running_console, "web-c2")
    token = csrf(http, running_console, path)
    http.post(running_console.url + path + "/tags", data={"csrf": token, "tag": "Pricing"})
    http.post(running_console.url + path + "/review", data={"csrf": token, "reviewed": "yes",
                                                            "note": "good dispute capture"})
    page = http.get(running_console.url + path).text
    assert "pricing" in page and "good dispute capture" in page and "reviewed by maya" in page
    tagged = http.get(running_console.url + "/conversations", params={"tag": "pricing", "reviewed": "yes"}).text
    assert tagged.count("<tr data-conversation") == 1
    http.post(running_console.url + "/filters", data={"csrf": token, "name": "priced", "query": "tag=pricing"})
    assert 'href="/conversations?tag=pricing">priced</a>' in http.get(running_console.url + "/conversations").text


def test_exports_are_masked_for_a_manager_and_not_for_an_admin(running_console):
    manager = login(running_console, "maya")
    rows = list(csv.DictReader(io.StringIO(manager.get(
        running_console.url + "/export.csv", params={"language": "fr"}).text)))
    assert {r["conversation"] for r in rows} == {"web-c5"}
    assert any("c•••@umbrella.example" in r["text"] for r in rows)
    assert not any("camille.martin" in r["text"] or "+33612345678" in r["text"] for r in rows)
    admin = login(running_console, "ada")
    one = admin.get(running_console.url + conversation_path(admin, running_console, "web-c5") + "/export.json").json()
    assert "camille.martin@umbrella.example" in str(one)
    everything = manager.get(running_console.url + "/export.json").json()["conversations"]
    assert len(everything) == 6 and everything[0]["messages"][0]["speaker"] == "customer"


def test_a_correction_in_the_inbox_becomes_valid_training_data(running_console):
    http = login(running_console, "maya")
    inbox = http.get(running_console.url + "/inbox").text
    assert "blorf zzz quux" in inbox and "wir zahlen 5000 nächste Woche" in inbox
    event = re.search(r'data-event="(\d+)"><p class="text">wir zahlen 5000 nächste Woche', inbox).group(1)
    token = csrf(http, running_console, "/inbox")
    done = http.post(f"{running_console.url}/inbox/{event}", data={
        "csrf": token, "verdict": "correct", "intent": "promise_to_pay",
        "entities": "amount=5000; date=nächste Woche"})
    assert "Saved as promise_to_pay" in done.text
    written = yaml.safe_load((running_console.nlu_dir / "de" / "reviewed.yml").read_text())
    assert written["nlu"] == [{"intent": "promise_to_pay",
                               "examples": "- wir zahlen [5000](amount) [nächste Woche](date)\n"}]
    assert "wir zahlen 5000 nächste Woche" not in http.get(running_console.url + "/inbox").text
    refused = http.post(f"{running_console.url}/inbox/{event}", data={
        "csrf": token, "verdict": "correct", "intent": "promise_to_pay", "entities": "amount=9999"})
    assert "Not saved" in refused.text and "not in the message" in refused.text


def test_the_dashboard_shows_the_figures_of_the_period(running_console):
    http = login(running_console, "maya")
    page = http.get(running_console.url + "/dashboard", params={"from": "2026-11-01", "to": "2026-11-23"}).text
    for figure, value in [("Conversations", "5"), ("Self-service rate", "80.0%"),
                          ("Handoff rate", "20.0%"), ("First human response (median)", "5 min"),
                          ("Fallback rate", "11.1%"), ("Promises kept", "1"), ("Promises broken", "1")]:
        assert re.search(rf'data-figure="{re.escape(figure)}"><span>[^<]*</span><b>{re.escape(value)}</b>', page), figure
    assert '<svg class="chart"' in page and "<script" not in page and "http://" not in page.split("</header>")[1]


def test_an_admin_reads_who_viewed_and_exported_what_and_a_manager_cannot(running_console):
    manager = login(running_console, "maya")
    manager.get(running_console.url + "/export.json", params={"channel": "slack"})
    assert manager.get(running_console.url + "/audit", allow_redirects=False).status_code == 403
    trail = html.unescape(login(running_console, "ada").get(running_console.url + "/audit").text)
    assert re.search(r'<td>maya</td><td>exported</td><td>filtered set</td><td>[^<]*"channel": "slack"', trail)
    assert re.search(r"<td>maya</td><td>viewed</td><td>web-c3</td>", trail)


def test_erasing_a_contact_removes_their_conversations_and_keeps_an_audit_entry(running_console):
    admin = login(running_console, "ada")
    path = conversation_path(admin, running_console, "+14155550101")
    token = csrf(admin, running_console, path)
    manager = login(running_console, "maya")
    refused = manager.post(running_console.url + path + "/erase", data={"csrf": csrf(manager, running_console), "confirm": "yes"},
                           allow_redirects=False)
    assert refused.status_code == 403
    done = admin.post(running_console.url + path + "/erase", data={"csrf": token, "confirm": "yes"})
    assert "conversations erased" in done.text
    assert admin.get(running_console.url + path).status_code == 404
    assert "what do we owe" not in admin.get(running_console.url + "/export.json").text
    import sqlite3
    tracker = sqlite3.connect(running_console.state / "tracker.db")
    assert tracker.execute("select count(*) from events where sender_id='+14155550101'").fetchone() == (0,)
    ledger = sqlite3.connect(running_console.state / "ar.db")
    entry = ledger.execute("select username, details from console_audit where action='contact_erased'").fetchone()
    assert entry[0] == "ada" and "what do we owe" not in entry[1]
    # a message of theirs a reviewer had made training data leaves the training data too
    reviewed = running_console.nlu_dir / "de" / "reviewed.yml"
    assert "nächste Woche" in reviewed.read_text()
    slack = conversation_path(admin, running_console, "U03INITECH")
    admin.post(running_console.url + slack + "/erase", data={"csrf": csrf(admin, running_console, slack), "confirm": "yes"})
    assert not reviewed.exists()


def test_the_index_command_reports_what_it_read(running_console):
    done = running_console.cli("index")
    assert done.returncode == 0 and "Indexed 0 conversations" in done.stdout, done.stderr


def test_purge_deletes_transcripts_older_than_the_retention(running_console):
    env = {**running_console.env, "TRANSCRIPT_RETENTION_DAYS": "40"}
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "bot", "console", "purge"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Deleted 1 conversations" in done.stdout, done.stderr
    http = login(running_console, "maya")
    assert "web-c6" not in http.get(running_console.url + "/conversations").text
