"""The console's web app (sanic): every page behind a login, every form with a CSRF token,
every view and export in the audit."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, timedelta
from functools import wraps
from typing import Optional
from urllib.parse import parse_qsl, quote, unquote

from sanic import Sanic, response
from sanic.request import Request
from sqlalchemy import delete, select

from bot import clock
from bot.console import auth, pages
from bot.console.audit import audit
from bot.console.exports import as_csv, as_json, export_records
from bot.console.figures import Period, compute
from bot.console.indexer import TranscriptIndex
from bot.console.ledger_links import handoff_timelines, linked_records
from bot.console.models import ConsoleAuditEntry, ConversationTag, IndexedConversation, IndexedMessage, SavedFilter
from bot.console.retention import erase_contact
from bot.console.reviews import (ReviewError, Vocabulary, entity_spec, inbox, parse_entities,
                                 record_verdict, write_test_story, write_training_data)
from bot.console.search import FilterError, Filters, facet_values, find_conversations
from bot.db import Database
from bot.ledger.models import Customer
from bot.observability import health as operations_health, metrics
from bot.settings import Settings

SESSION_COOKIE = "ar_console"
LOGIN_COOKIE = "ar_console_login"  # the login form's CSRF token, before any session
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
}
TAG_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_ ")


class Console:
    """What the pages need: settings, the AR database, the transcript index."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.database = Database(settings.ar_database_url)
        self.index = TranscriptIndex(self.database, settings.tracker_store_url,
                                     settings.console_low_confidence)
        self.vocabulary = Vocabulary.from_domain()

    def today(self) -> date:
        return clock.today(self.settings.today_override)


def _cookie(reply, name: str, value: str, settings: Settings, max_age: int) -> None:
    reply.cookies[name] = value
    cookie = reply.cookies[name]
    cookie["path"] = "/"
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age
    if settings.console_public_url.lower().startswith("https://"):
        cookie["secure"] = True


def _readable(query: Optional[str]) -> bool:
    try:
        Filters.from_query(dict(parse_qsl(query or "")))
        return True
    except FilterError:
        return False


def _with_format(handler, fmt: str):
    async def with_format(request: Request, **kwargs):
        return await handler(request, fmt=fmt, **kwargs)
    return with_format


def create_app(settings: Settings, name: str = "ar_console") -> Sanic:
    app = Sanic(name)
    console = Console(settings)
    app.ctx.console = console

    @app.middleware("response")
    async def security_headers(_request, reply):
        for header, value in SECURITY_HEADERS.items():
            reply.headers.setdefault(header, value)

    def current(request: Request) -> Optional[auth.Login]:
        with console.database.session() as session:
            return auth.current_login(session, request.cookies.get(SESSION_COOKIE), clock.now())

    def page(permission: Optional[str] = None, post: bool = False):
        """Login required (anonymous: to the login page); the permission or 403; for a
        POST, the session's CSRF token or 403."""
        def decorate(handler):
            @wraps(handler)
            async def guarded(request: Request, *args, **kwargs):
                login = current(request)
                if login is None:
                    return response.redirect("/login")
                if permission and not login.may(permission):
                    return response.html(pages.message_page(
                        "Not allowed", "Your role may not see this page.", login), status=403)
                if post and not auth.csrf_matches(login.csrf_token, request.form.get("csrf")):
                    return response.html(pages.message_page(
                        "Form expired", "Reload the page and try again.", login), status=403)
                return await handler(request, login, *args, **kwargs)
            return guarded
        return decorate

    @app.get("/console.css")
    async def style(_request):
        return response.text(pages.STYLE, content_type="text/css")

    @app.get("/health")
    @app.get("/health/live")
    async def health(_request):
        return response.json({"status": "ok"})

    @app.get("/health/ready")
    async def ready(_request):  # the ledger and the transcripts answer
        status, report = await asyncio.get_running_loop().run_in_executor(
            None, operations_health.readiness, {
                "ar_database": operations_health.database_check(settings.ar_database_url),
                "tracker_store": operations_health.database_check(settings.tracker_store_url)})
        return response.json(report, status=status)

    @app.get("/metrics")
    async def scrape(_request):
        body, content_type = metrics.exposition()
        return response.raw(body, content_type=content_type)

    @app.get("/login")
    async def login_form(request: Request):
        token = secrets.token_urlsafe(24)
        reply = response.html(pages.login_page(token))
        _cookie(reply, LOGIN_COOKIE, token, settings, 3600)
        return reply

    @app.post("/login")
    async def login(request: Request):
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not auth.csrf_matches(expected, request.form.get("csrf")):
            fresh = secrets.token_urlsafe(24)  # so the next try can succeed
            reply = response.html(pages.login_page(fresh, "The form expired; try again."), status=403)
            _cookie(reply, LOGIN_COOKIE, fresh, settings, 3600)
            return reply
        now = clock.now()
        with console.database.session() as session:
            result = auth.authenticate(
                session, request.form.get("username", ""), request.form.get("password", ""), now,
                settings.console_max_login_failures, settings.console_lockout_minutes)
            token = (auth.open_session(session, result.user, now, settings.console_session_hours)
                     if result.user else None)
        if token is None:
            error = (f"Too many failed attempts: try again in {settings.console_lockout_minutes} minutes."
                     if result.locked else "Wrong username or password.")
            return response.html(pages.login_page(expected, error), status=401)
        reply = response.redirect("/conversations" if result.user.role != "collector" else "/dashboard")
        _cookie(reply, SESSION_COOKIE, token, settings, int(settings.console_session_hours * 3600))
        return reply

    @app.post("/logout")
    @page(post=True)
    async def logout(request: Request, login: auth.Login):
        with console.database.session() as session:
            auth.close_session(session, request.cookies.get(SESSION_COOKIE))
            audit(session, login.username, "logout", None)
        reply = response.redirect("/login")
        _cookie(reply, SESSION_COOKIE, "", settings, 0)
        return reply

    @app.get("/")
    @page()
    async def home(_request, login: auth.Login):
        return response.redirect("/conversations" if login.may("view_transcripts") else "/dashboard")

    def _filters(request: Request) -> tuple[Filters, str]:
        try:
            return Filters.from_query({k: request.args.get(k) for k in request.args}), ""
        except FilterError as error:
            return Filters(), str(error)

    @app.get("/conversations")
    @page("view_transcripts")
    async def conversations(request: Request, login: auth.Login):
        console.index.refresh()
        filters, error = _filters(request)
        try:
            number = max(int(request.args.get("page", "1")), 1)
        except ValueError:
            number = 1
        with console.database.session() as session:
            found = find_conversations(session, filters, number)
            customers = {c.id: c for c in session.scalars(select(Customer))}
            ids = [c.conversation_id for c in found.conversations]
            tags: dict[str, list[str]] = {}
            for tag in session.scalars(select(ConversationTag).where(ConversationTag.conversation_id.in_(ids))):
                tags.setdefault(tag.conversation_id, []).append(tag.tag)
            saved = list(session.scalars(select(SavedFilter).where(SavedFilter.user_id == login.user_id)
                                         .order_by(SavedFilter.name)))
            audit(session, login.username, "listed", None, {"filters": filters.as_dict(), "page": number})
            html = pages.conversations_page(login, found, filters, facet_values(session), customers,
                                            tags, saved, error)
        return response.html(html, status=400 if error else 200)

    @app.post("/filters")
    @page("view_transcripts", post=True)
    async def save_filter(request: Request, login: auth.Login):
        name = (request.form.get("name") or "").strip()[:80]
        # Kept only as the list's own filters, re-encoded: nothing else rides along.
        query = Filters.from_query(dict(parse_qsl(request.form.get("query") or ""))).query_string() \
            if _readable(request.form.get("query")) else ""
        if name:
            with console.database.session() as session:
                session.execute(delete(SavedFilter).where(SavedFilter.user_id == login.user_id,
                                                          SavedFilter.name == name))
                session.add(SavedFilter(user_id=login.user_id, name=name, query=query))
        return response.redirect(f"/conversations?{query}")

    @app.post("/filters/<filter_id:int>/delete")
    @page("view_transcripts", post=True)
    async def delete_filter(_request, login: auth.Login, filter_id: int):
        with console.database.session() as session:
            session.execute(delete(SavedFilter).where(SavedFilter.id == filter_id,
                                                      SavedFilter.user_id == login.user_id))
        return response.redirect("/conversations")

    def _conversation(session, conversation_id: int) -> Optional[IndexedConversation]:
        return session.get(IndexedConversation, conversation_id)

    def _not_found(login):
        return response.html(pages.message_page("Not found", "No such conversation (erased or purged?).",
                                                login), status=404)

    @app.get("/conversations/by-id/<sender:path>")
    @page("view_transcripts")
    async def conversation_by_sender(_request, login: auth.Login, sender: str):
        console.index.refresh()
        with console.database.session() as session:
            found = session.scalars(select(IndexedConversation.id).where(
                IndexedConversation.conversation_id == unquote(sender))).first()
        return response.redirect(f"/conversations/{found}") if found else _not_found(login)

    @app.get("/conversations/<conversation_id:int>")
    @page("view_transcripts")
    async def conversation(request: Request, login: auth.Login, conversation_id: int):
        console.index.refresh()
        with console.database.session() as session:
            c = _conversation(session, conversation_id)
            if c is None:
                return _not_found(login)
            messages = list(session.scalars(select(IndexedMessage).where(
                IndexedMessage.conversation_id == c.conversation_id).order_by(IndexedMessage.event_id)))
            records = linked_records(session, c.references, c.conversation_id)
            timelines = handoff_timelines(session, c.conversation_id, [
                (m.at, m.collector) for m in messages if m.speaker == "collector"])
            tags = sorted(session.scalars(select(ConversationTag.tag).where(
                ConversationTag.conversation_id == c.conversation_id)))
            customer = session.get(Customer, c.customer_id) if c.customer_id else None
            audit(session, login.username, "viewed", c.conversation_id, {})
            html = pages.conversation_page(login, c, customer, messages, records, timelines, tags,
                                           request.args.get("done", "")[:200])
        return response.html(html)

    @app.post("/conversations/<conversation_id:int>/tags")
    @page("view_transcripts", post=True)
    async def add_tag(request: Request, login: auth.Login, conversation_id: int):
        tag = " ".join((request.form.get("tag") or "").lower().split())[:40]
        tag = "".join(ch for ch in tag if ch in TAG_CHARS)
        with console.database.session() as session:
            c = _conversation(session, conversation_id)
            if c is None:
                return _not_found(login)
            exists = session.scalars(select(ConversationTag).where(
                ConversationTag.conversation_id == c.conversation_id, ConversationTag.tag == tag)).first()
            if tag and not exists:
                session.add(ConversationTag(conversation_id=c.conversation_id, tag=tag))
                audit(session, login.username, "tagged", c.conversation_id, {"tag": tag})
        return response.redirect(f"/conversations/{conversation_id}")

    @app.post("/conversations/<conversation_id:int>/tags/remove")
    @page("view_transcripts", post=True)
    async def remove_tag(request: Request, login: auth.Login, conversation_id: int):
        with console.database.session() as session:
            c = _conversation(session, conversation_id)
            if c is None:
                return _not_found(login)
            session.execute(delete(ConversationTag).where(
                ConversationTag.conversation_id == c.conversation_id,
                ConversationTag.tag == request.form.get("tag", "")))
        return response.redirect(f"/conversations/{conversation_id}")

    @app.post("/conversations/<conversation_id:int>/review")
    @page("review", post=True)
    async def review_conversation(request: Request, login: auth.Login, conversation_id: int):
        with console.database.session() as session:
            c = _conversation(session, conversation_id)
            if c is None:
                return _not_found(login)
            c.reviewed = request.form.get("reviewed") == "yes"
            c.reviewed_by = login.username if c.reviewed else None
            c.note = (request.form.get("note") or "").strip()[:4000] or None
            audit(session, login.username, "conversation_reviewed", c.conversation_id,
                  {"reviewed": c.reviewed, "note": bool(c.note)})
        return response.redirect(f"/conversations/{conversation_id}?done=Saved")

    @app.post("/conversations/<conversation_id:int>/story")
    @page("review", post=True)
    async def story(_request, login: auth.Login, conversation_id: int):
        with console.database.session() as session:
            c = _conversation(session, conversation_id)
            if c is None:
                return _not_found(login)
            try:
                path = write_test_story(session, c, settings.test_stories_dir, login.username)
                done = f"Test story written to {path.name}."
            except ReviewError as error:
                done = str(error)
        return response.redirect(f"/conversations/{conversation_id}?done={quote(done)}")

    @app.post("/conversations/<conversation_id:int>/erase")
    @page("erase", post=True)
    async def erase(request: Request, login: auth.Login, conversation_id: int):
        if request.form.get("confirm") != "yes":
            return response.redirect(f"/conversations/{conversation_id}?done={quote('Tick the box to erase.')}")
        with console.database.session() as session:
            c = _conversation(session, conversation_id)
            if c is None:
                return _not_found(login)
            count = erase_contact(console.index, session, c, login.username)
            session.flush()
            write_training_data(session, settings.nlu_data_dir)  # their words leave it too
        return response.html(pages.message_page("Erased", f"{count} conversations erased.", login))

    def _export(login: auth.Login, conversations, fmt: str, what: str, filters: dict):
        with console.database.session() as session:
            records = export_records(session, conversations, login.may("see_contact_details"))
            audit(session, login.username, "exported", what,
                  {"format": fmt, "conversations": len(records), "filters": filters})
        stamp = clock.now().strftime("%Y%m%d-%H%M")
        if fmt == "csv":
            body, kind = as_csv(records), "text/csv; charset=utf-8"
        else:
            body, kind = as_json(records), "application/json"
        return response.text(body, content_type=kind, headers={
            "Content-Disposition": f'attachment; filename="conversations-{stamp}.{fmt}"'})

    @page("export")
    async def export_filtered(request: Request, login: auth.Login, fmt: str):
        console.index.refresh()
        filters, error = _filters(request)
        if error:
            return response.text(error, status=400)
        with console.database.session() as session:
            found = find_conversations(session, filters, page_size=None).conversations
        return _export(login, found, fmt, "filtered set", filters.as_dict())

    @page("export")
    async def export_one(_request, login: auth.Login, conversation_id: int, fmt: str):
        with console.database.session() as session:
            c = _conversation(session, conversation_id)
        if c is None:
            return _not_found(login)
        return _export(login, [c], fmt, c.conversation_id, {})

    for fmt in ("csv", "json"):  # one route per format: the file name says what comes
        app.add_route(_with_format(export_filtered, fmt), f"/export.{fmt}",
                      name=f"export_filtered_{fmt}")
        app.add_route(_with_format(export_one, fmt),
                      f"/conversations/<conversation_id:int>/export.{fmt}", name=f"export_one_{fmt}")

    def _written() -> list[str]:
        root = settings.nlu_data_dir.parent.parent  # data/nlu/<lang>/ shown from the project
        return sorted(str(p.relative_to(root)) for p in settings.nlu_data_dir.glob("*/reviewed.yml"))

    @app.get("/inbox")
    @page("review")
    async def review_inbox(request: Request, login: auth.Login):
        console.index.refresh()
        with console.database.session() as session:
            html = pages.inbox_page(login, inbox(session), console.vocabulary.intents,
                                    console.vocabulary.entities, _written(),
                                    request.args.get("done", "")[:300])
        return response.html(html)

    @app.post("/inbox/<event_id:int>")
    @page("review", post=True)
    async def review_message(request: Request, login: auth.Login, event_id: int):
        with console.database.session() as session:
            message = session.scalars(select(IndexedMessage).where(
                IndexedMessage.event_id == event_id, IndexedMessage.speaker == "customer")).first()
            if message is None:
                return _not_found(login)
            verdict = request.form.get("verdict")
            intent = (message.intent if verdict == "confirm" else request.form.get("choose")
                      or request.form.get("intent") or "")
            spec = request.form.get("entities") or ""
            try:
                entities = (message.entities if spec == entity_spec(message.entities, message.text)
                            else parse_entities(message.text, spec, console.vocabulary))
                if not intent:
                    raise ReviewError("choose the intent the message meant")
                review = record_verdict(session, message, intent, entities, login.username,
                                        console.vocabulary)
                session.flush()
                paths = write_training_data(session, settings.nlu_data_dir)
                done = f"Saved as {review.intent}; written to {paths[review.language].name} ({review.language})."
            except ReviewError as error:
                session.rollback()
                done = f"Not saved: {error}"
        return response.redirect(f"/inbox?done={quote(done)}")

    @app.get("/audit")
    @page("audit")
    async def audit_trail(_request, login: auth.Login):
        with console.database.session() as session:
            entries = list(session.scalars(select(ConsoleAuditEntry).order_by(
                ConsoleAuditEntry.id.desc()).limit(500)))
            html = pages.audit_page(login, entries)
        return response.html(html)

    @app.get("/dashboard")
    @page("dashboard")
    async def dashboard(request: Request, login: auth.Login):
        console.index.refresh()
        today = console.today()
        try:
            last = date.fromisoformat(request.args.get("to") or today.isoformat())
            first = date.fromisoformat(request.args.get("from") or (last - timedelta(days=29)).isoformat())
        except ValueError:
            return response.html(pages.message_page("Dashboard", "Dates look like 2026-11-23.", login),
                                 status=400)
        if first > last or (last - first).days > 366:
            return response.html(pages.message_page(
                "Dashboard", "Choose a period of at most a year, its start before its end.", login), status=400)
        with console.database.session() as session:
            figures = compute(session, Period(first, last), today)
            audit(session, login.username, "viewed_dashboard", None,
                  {"from": first.isoformat(), "to": last.isoformat()})
        return response.html(pages.dashboard_page(login, figures))

    return app
