"""The console's HTML, built on the server with every value escaped; no script."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from typing import Iterable, Optional
from urllib.parse import quote

from bot.console.auth import Login
from bot.console.charts import horizontal_bars, stacked_bars_per_day
from bot.console.figures import Figures
from bot.console.ledger_links import HandoffTimeline, LinkedRecord
from bot.console.masking import shown
from bot.console.models import IndexedConversation, IndexedMessage, SavedFilter
from bot.console.reviews import entity_spec
from bot.console.search import OUTCOMES, Filters, Page
from bot.console.transcript import REFERENCE

SPEAKERS = {"customer": "Customer", "bot": "Bot"}


def h(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def when(value: Optional[datetime]) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def csrf_field(login: Login) -> str:
    return f'<input type="hidden" name="csrf" value="{h(login.csrf_token)}">'


def layout(title: str, body: str, login: Optional[Login] = None, flash: str = "") -> str:
    nav = ""
    if login:
        links = [("view_transcripts", "/conversations", "Conversations"),
                 ("review", "/inbox", "Review inbox"), ("dashboard", "/dashboard", "Dashboard"),
                 ("audit", "/audit", "Audit")]
        nav = "".join(f'<a href="{href}">{label}</a>' for need, href, label in links if login.may(need))
        nav = (f'<nav>{nav}<span class="who">{h(login.username)} ({h(login.role)})</span>'
               f'<form method="post" action="/logout" class="inline">{csrf_field(login)}'
               f'<button type="submit">Log out</button></form></nav>')
    note = f'<p class="flash" role="status">{h(flash)}</p>' if flash else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{h(title)} · AR console</title><link rel="stylesheet" href="/console.css">'
            f'</head><body><header><strong>AR console</strong>{nav}</header>'
            f'<main><h1>{h(title)}</h1>{note}{body}</main></body></html>')


def login_page(csrf: str, error: str = "") -> str:
    message = f'<p class="error" role="alert">{h(error)}</p>' if error else ""
    return layout("Log in", f'''{message}<form method="post" action="/login" class="login">
<input type="hidden" name="csrf" value="{h(csrf)}">
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button></form>''')


def message_page(title: str, text: str, login: Optional[Login] = None) -> str:
    return layout(title, f"<p>{h(text)}</p>", login)


def _select(name: str, values: Iterable[str], chosen: str, blank: str = "any") -> str:
    options = [f'<option value="">{h(blank)}</option>'] + [
        f'<option value="{h(v)}"{" selected" if v == chosen else ""}>{h(v)}</option>' for v in values]
    return f'<select name="{name}" id="f-{name}">{"".join(options)}</select>'


def _field(label: str, control: str) -> str:
    return f"<label>{h(label)} {control}</label>"


def filter_form(filters: Filters, facets: dict[str, list[str]]) -> str:
    yes_no = ("yes", "no")
    return ('<form method="get" action="/conversations" class="filters" id="filters">'
            + _field("From", f'<input type="date" name="date_from" value="{h(filters.date_from)}">')
            + _field("To", f'<input type="date" name="date_to" value="{h(filters.date_to)}">')
            + _field("Customer", f'<input name="customer" value="{h(filters.customer)}" placeholder="account or name">')
            + _field("Channel", _select("channel", facets["channel"], filters.channel))
            + _field("Language", _select("language", facets["language"], filters.language))
            + _field("Intent", _select("intent", facets["intent"], filters.intent))
            + _field("Handed off", _select("handed_off", yes_no, filters.handed_off))
            + _field("Outcome", _select("outcome", OUTCOMES, filters.outcome))
            + _field("Low confidence", _select("low_confidence", yes_no, filters.low_confidence))
            + _field("Frustration", _select("frustrated", yes_no, filters.frustrated))
            + _field("Tag", _select("tag", facets["tag"], filters.tag))
            + _field("Reviewed", _select("reviewed", yes_no, filters.reviewed))
            + _field("Search", f'<input type="search" name="q" value="{h(filters.q)}" placeholder="words said">')
            + '<button type="submit">Filter</button> <a href="/conversations">Clear</a></form>')


def conversations_page(login: Login, page: Page, filters: Filters, facets, customers: dict,
                       tags: dict[str, list[str]], saved: list[SavedFilter], error: str = "") -> str:
    may_see = login.may("see_contact_details")
    rows = []
    for c in page.conversations:
        customer = customers.get(c.customer_id)
        flags = " ".join(f for f, on in (("low confidence", c.low_confidence_count),
                                         ("fallback", c.fallback_count),
                                         ("frustrated", c.frustrated)) if on)
        rows.append(
            f'<tr data-conversation="{c.id}"><td>{when(c.last_at)}</td>'
            f'<td><a href="/conversations/{c.id}">{h(shown(c.conversation_id, may_see))}</a></td>'
            f'<td>{h(f"{customer.account_number} {customer.name}" if customer else "not identified")}</td>'
            f'<td>{h(c.channel)}</td><td>{h(c.language)}</td>'
            f'<td>{c.customer_messages + c.bot_messages + c.collector_messages}</td>'
            f'<td>{h(" ".join(c.intents.split()))}</td><td class="outcome">{h(c.outcome.replace("_", " "))}</td>'
            f'<td>{h(flags)}</td><td>{h(", ".join(tags.get(c.conversation_id, [])))}</td>'
            f'<td>{"yes" if c.reviewed else ""}</td></tr>')
    table = ('<table class="list"><thead><tr><th>Last message</th><th>Conversation</th><th>Customer</th>'
             '<th>Channel</th><th>Lang</th><th>Msgs</th><th>Intents</th><th>Outcome</th><th>Flags</th>'
             '<th>Tags</th><th>Reviewed</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
             if rows else '<p class="empty">No conversation matches.</p>')
    pages = ""
    if page.pages > 1:
        links = []
        if page.number > 1:
            links.append(f'<a rel="prev" href="/conversations?{filters.query_string(page=page.number - 1)}">Newer</a>')
        links.append(f"page {page.number} of {page.pages}")
        if page.number < page.pages:
            links.append(f'<a rel="next" href="/conversations?{filters.query_string(page=page.number + 1)}">Older</a>')
        pages = f'<p class="pages">{" · ".join(links)}</p>'
    exports = ""
    if login.may("export"):
        q = filters.query_string()
        exports = (f'<p class="exports">Export these {page.total}: <a href="/export.csv?{q}">CSV</a> '
                   f'<a href="/export.json?{q}">JSON</a></p>')
    saved_links = " ".join(
        f'<a href="/conversations?{h(s.query)}">{h(s.name)}</a>'
        f'<form method="post" action="/filters/{s.id}/delete" class="inline">{csrf_field(login)}'
        f'<button type="submit" title="forget this filter">×</button></form>' for s in saved)
    save_form = (f'<form method="post" action="/filters" class="inline">{csrf_field(login)}'
                 f'<input type="hidden" name="query" value="{h(filters.query_string())}">'
                 f'<input name="name" placeholder="name this filter" required maxlength="80">'
                 f'<button type="submit">Save filter</button></form>')
    error_html = f'<p class="error" role="alert">{h(error)}</p>' if error else ""
    return layout("Conversations", error_html + filter_form(filters, facets)
                  + f'<div class="saved">Saved filters: {saved_links or "none"} {save_form}</div>'
                  + f'<p class="count">{page.total} conversations, newest first</p>' + exports + table + pages,
                  login)


def _entities(entities: list[dict], may_see: bool) -> str:
    return ", ".join(f'{h(e.get("entity"))}={h(shown(str(e.get("value")), may_see))}' for e in entities)


def _message(m: IndexedMessage, may_see: bool) -> str:
    who = m.collector if m.speaker == "collector" else SPEAKERS.get(m.speaker, m.speaker)
    understood = ""
    if m.speaker == "customer":
        bits = []
        if m.intent:
            bits.append(f'intent <b>{h(m.intent)}</b>'
                        + (f" ({m.confidence:.2f})" if m.confidence is not None else ""))
        if m.entities:
            bits.append("entities " + _entities(m.entities, may_see))
        if m.actions:
            bits.append("actions " + h(", ".join(m.actions)))
        flags = [f for f, on in (("low confidence", m.low_confidence), ("fallback", m.fallback),
                                 ("corrected by the customer", m.corrected_by_customer)) if on]
        if flags:
            bits.append(f'<span class="flag">{h(", ".join(flags))}</span>')
        understood = f'<div class="nlu">{" · ".join(bits)}</div>'
    return (f'<li class="msg {h(m.speaker)}" data-event="{m.event_id}"><div class="meta">'
            f'<span class="speaker">{h(who)}</span> <time>{when(m.at)}</time> '
            f'<span class="channel">{h(m.channel)}</span></div>'
            f'<div class="text">{_linked(h(shown(m.text, may_see)))}</div>{understood}</li>')


def _linked(escaped: str) -> str:
    """References the bot gave (DSP-..., PLN-...) link to their ledger record below."""
    return REFERENCE.sub(lambda r: f'<a href="#record-{r.group(0)}">{r.group(0)}</a>', escaped)


def _records(records: list[LinkedRecord], may_see: bool) -> str:
    if not records:
        return '<p class="empty">No ledger record was created in this conversation.</p>'
    rows = "".join(f'<tr id="record-{h(r.reference)}"><td>{h(r.reference)}</td><td>{h(r.kind)}</td>'
                   f'<td>{h(r.status)}</td><td>{when(r.created_at)}</td><td>{h(shown(r.summary, may_see))}</td></tr>'
                   for r in records)
    return ('<table class="records"><thead><tr><th>Reference</th><th>What</th><th>Status</th>'
            f'<th>Created</th><th>Details</th></tr></thead><tbody>{rows}</tbody></table>')


def _timelines(timelines: list[HandoffTimeline]) -> str:
    if not timelines:
        return '<p class="empty">Not handed to a person.</p>'
    out = []
    for t in timelines:
        steps = "".join(f"<li><time>{when(s.at)}</time> {h(s.what)}</li>" for s in t.steps)
        out.append(f'<div class="handoff"><p>{h(t.reference)}: {h(t.reason.replace("_", " "))}, '
                   f'{h(t.status)}{", collector " + h(t.collector) if t.collector else ""}</p>'
                   f'<ol>{steps}</ol></div>')
    return "".join(out)


def conversation_page(login: Login, c: IndexedConversation, customer, messages: list[IndexedMessage],
                      records: list[LinkedRecord], timelines: list[HandoffTimeline],
                      tags: list[str], flash: str = "") -> str:
    may_see = login.may("see_contact_details")
    csrf = csrf_field(login)
    facts = (f'<dl class="facts"><dt>Customer</dt><dd>{h(f"{customer.account_number} {customer.name}" if customer else "not identified")}</dd>'
             f'<dt>Channel</dt><dd>{h(c.channel)}</dd><dt>Language</dt><dd>{h(c.language)}</dd>'
             f'<dt>Outcome</dt><dd>{h(c.outcome.replace("_", " "))}</dd>'
             f'<dt>From</dt><dd>{when(c.started_at)}</dd><dt>To</dt><dd>{when(c.last_at)}</dd></dl>')
    tag_list = "".join(
        f'<li>{h(t)}<form method="post" action="/conversations/{c.id}/tags/remove" class="inline">{csrf}'
        f'<input type="hidden" name="tag" value="{h(t)}"><button type="submit" title="remove">×</button></form></li>'
        for t in tags)
    side = (f'<section><h2>Tags</h2><ul class="tags">{tag_list}</ul>'
            f'<form method="post" action="/conversations/{c.id}/tags">{csrf}'
            f'<input name="tag" required maxlength="40" placeholder="new tag"><button type="submit">Add tag</button></form></section>')
    if login.may("review"):
        side += (f'<section><h2>Review</h2><form method="post" action="/conversations/{c.id}/review">{csrf}'
                 f'<label><input type="checkbox" name="reviewed" value="yes"{" checked" if c.reviewed else ""}> reviewed</label>'
                 f'<textarea name="note" rows="3" maxlength="4000" placeholder="note">{h(c.note or "")}</textarea>'
                 f'<button type="submit">Save</button></form>'
                 f'{"<p>reviewed by " + h(c.reviewed_by) + "</p>" if c.reviewed and c.reviewed_by else ""}'
                 f'<form method="post" action="/conversations/{c.id}/story">{csrf}'
                 f'<button type="submit">Write as a test story</button></form></section>')
    if login.may("export"):
        side += (f'<section><h2>Export</h2><a href="/conversations/{c.id}/export.csv">CSV</a> '
                 f'<a href="/conversations/{c.id}/export.json">JSON</a></section>')
    if login.may("erase"):
        side += (f'<section><h2>Erase</h2><form method="post" action="/conversations/{c.id}/erase">{csrf}'
                 f'<label><input type="checkbox" name="confirm" value="yes" required> erase every conversation '
                 f'of this contact (the audit keeps that it happened, not what was said)</label>'
                 f'<button type="submit" class="danger">Erase</button></form></section>')
    body = (facts + '<div class="columns"><div><h2>Transcript</h2><ol class="transcript">'
            + "".join(_message(m, may_see) for m in messages) + "</ol>"
            + "<h2>Ledger records</h2>" + _records(records, may_see)
            + "<h2>Handoff</h2>" + _timelines(timelines) + f"</div><aside>{side}</aside></div>")
    return layout(f"Conversation {shown(c.conversation_id, may_see)}", body, login, flash)


def inbox_page(login: Login, messages: list[IndexedMessage], intents: list[str], entities: list[str],
               written: list[str], flash: str = "") -> str:
    may_see = login.may("see_contact_details")
    items = []
    for m in messages:
        why = [w for w, on in (("low confidence", m.low_confidence), ("fallback", m.fallback),
                               ("corrected by the customer", m.corrected_by_customer)) if on]
        default = m.intent if m.intent in intents else ""
        options = "".join(f'<option value="{h(i)}"{" selected" if i == default else ""}>{h(i)}</option>'
                          for i in intents)
        confirm = (f'<button type="submit" name="verdict" value="confirm">Confirm {h(m.intent)}</button>'
                   if m.intent in intents else "")
        # One click: the classifier's runner-up intents, each a button that saves it.
        likely = "".join(f'<button type="submit" name="choose" value="{h(i)}" class="likely">'
                         f'It is {h(i)}</button>' for i in m.alternatives if i in intents)
        items.append(
            f'<li class="review" data-event="{m.event_id}"><p class="text">{h(shown(m.text, may_see))}</p>'
            f'<p class="meta">understood <b>{h(m.intent)}</b>'
            f'{f" ({m.confidence:.2f})" if m.confidence is not None else ""} · {h(", ".join(why))} · '
            f'{h(m.language)} · <a href="/conversations/by-id/{quote(m.conversation_id, safe="")}">conversation</a></p>'
            f'<form method="post" action="/inbox/{m.event_id}">{csrf_field(login)}'
            f'<label>Intent <select name="intent"><option value="">choose</option>{options}</select></label>'
            f'<label>Entities <input name="entities" value="{h(entity_spec(m.entities, m.text))}" '
            f'placeholder="invoice_number=INV-2026-0101; amount=2,000" size="40"></label>'
            f'{confirm}{likely}<button type="submit" name="verdict" value="correct">Save correction</button></form></li>')
    listing = "<ol class=\"inbox\">" + "".join(items) + "</ol>" if items else \
        '<p class="empty">Nothing to review: every message the bot was unsure of has a verdict.</p>'
    files = ", ".join(h(w) for w in written) or "none yet"
    howto = (f'<section class="howto"><h2>From verdicts to a better bot</h2>'
             f'<p>Entity types: {h(", ".join(entities))}. Written to: {files}.</p><ol>'
             '<li>Before: <code>python -m bot eval-nlu tests/heldout/*.tsv tests/heldout_blind/*.tsv --out before.tsv</code></li>'
             '<li>Train with the reviewed examples: <code>make train</code> (<code>make validate</code> checks the data)</li>'
             '<li>After: <code>python -m bot eval-nlu tests/heldout/*.tsv tests/heldout_blind/*.tsv --out after.tsv</code>, '
             'then compare the two summaries (intent accuracy, macro-F1, confusions).</li></ol></section>')
    return layout("Review inbox", f"<p>{len(messages)} message{'' if len(messages) == 1 else 's'} to review.</p>" + listing + howto, login, flash)


def audit_page(login: Login, entries) -> str:
    rows = "".join(f'<tr><td>{when(e.at)}</td><td>{h(e.username)}</td><td>{h(e.action)}</td>'
                   f'<td>{h(e.target)}</td><td>{h(json.dumps(e.details, ensure_ascii=False))}</td></tr>'
                   for e in entries)
    return layout("Audit", '<p>Who logged in, looked at, exported, reviewed or erased what; newest '
                  'first (the last 500).</p><table class="list"><thead><tr><th>When</th><th>Who</th>'
                  f'<th>What</th><th>On</th><th>Details</th></tr></thead><tbody>{rows}</tbody></table>',
                  login)


def _rate(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def dashboard_page(login: Login, figures: Figures) -> str:
    f = figures
    days = f.period.days()
    tiles = [("Conversations", f.conversations), ("Self-service rate", _rate(f.self_service_rate)),
             ("Handoff rate", _rate(f.handoff_rate)),
             ("First human response (median)", "n/a" if f.first_human_response_minutes is None
              else f"{f.first_human_response_minutes:g} min"),
             ("Resolution (median)", "n/a" if f.resolution_minutes is None else f"{f.resolution_minutes:g} min"),
             ("Fallback rate", _rate(f.fallback_rate)), ("Low-confidence rate", _rate(f.low_confidence_rate)),
             ("Documents requested", sum(f.documents.values())), ("Documents sent", f.documents_sent), ("Disputes", f.disputes),
             ("Payment plans", f.plans), ("Promises", f.promises),
             ("Promises kept", f.promises_kept), ("Promises broken", f.promises_broken),
             ("Promises not yet due", f.promises_open)]
    tile_html = "".join(f'<div class="tile" data-figure="{h(name)}"><span>{h(name)}</span><b>{h(value)}</b></div>'
                        for name, value in tiles)
    form = (f'<form method="get" action="/dashboard" class="filters">'
            f'<label>From <input type="date" name="from" value="{f.period.first}"></label>'
            f'<label>To <input type="date" name="to" value="{f.period.last}"></label>'
            f'<button type="submit">Show</button></form>')
    body = (form + f'<div class="tiles">{tile_html}</div>'
            + "<h2>Conversations per day by channel</h2>" + stacked_bars_per_day("by channel", days, f.per_day_by_channel)
            + "<h2>Conversations per day by language</h2>" + stacked_bars_per_day("by language", days, f.per_day_by_language)
            + "<h2>Handoff reasons</h2>" + horizontal_bars("handoff reasons", f.handoff_reasons)
            + "<h2>Intents</h2>" + horizontal_bars("intents", f.intents)
            + "<h2>Documents by status</h2>" + horizontal_bars("documents", f.documents)
            + "<h2>Promises to pay</h2>" + horizontal_bars("promises", {
                "kept": f.promises_kept, "broken": f.promises_broken, "not yet due": f.promises_open}))
    return layout("Dashboard", body, login)


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#111;background:#f7f7f8}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#1e293b;color:#fff}
header nav{display:flex;gap:1rem;align-items:center;flex:1}
header a{color:#fff}.who{margin-left:auto;opacity:.8}
main{padding:1rem;max-width:1400px}
.inline{display:inline}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin-bottom:.8rem}
.filters label{display:flex;flex-direction:column;font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #ddd;padding:.3rem .4rem;text-align:left;vertical-align:top}
.error{color:#b91c1c}.flash{color:#166534}.empty{color:#666}
.columns{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,1fr);gap:1.5rem}
.transcript{list-style:none;padding:0}
.msg{background:#fff;border-radius:8px;padding:.4rem .6rem;margin:.4rem 0;max-width:80%}
.msg.customer{border-left:4px solid #2563eb}
.msg.bot{margin-left:auto;border-left:4px solid #16a34a}
.msg.collector{margin-left:auto;border-left:4px solid #d97706}
.meta{font-size:12px;color:#555}.nlu{font-size:12px;color:#334155}.flag{color:#b45309}
.text{white-space:pre-wrap}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:.6rem}
.tile{background:#fff;border-radius:8px;padding:.6rem;display:flex;flex-direction:column}
.tile b{font-size:22px}
.chart{width:100%;max-width:720px;background:#fff;border-radius:8px}
.review{background:#fff;margin:.5rem 0;padding:.5rem;border-radius:8px;list-style:none}
.inbox{padding:0}.review form{display:flex;gap:.6rem;flex-wrap:wrap;align-items:center}.danger{color:#b91c1c}
.facts{display:grid;grid-template-columns:max-content 1fr max-content 1fr max-content 1fr;gap:.2rem 1rem}
.facts dt{color:#555}.facts dd{margin:0}
.login{display:flex;flex-direction:column;gap:.6rem;max-width:320px}
textarea{width:100%}
"""
