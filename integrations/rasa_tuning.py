"""What the Rasa server pays on every turn and need not (measured with py-spy, README
"Speed"): jsonschema re-checking its own schema before checking each action server answer
(rasa#11717), a new HTTP session and connection for every action call, the standard
library's slower JSON writer for the tracker it sends, the whole domain with each call of
a validation action, every event of the session in each action call
(integrations/action_calls.py), the replay of the whole session for every prediction
(integrations/rasa_states.py) and every state of it for the memoization and rule policies
(integrations/rasa_policy_window.py), a walk over every Event subclass for each event read
back from the tracker store, and, with an SQLite tracker store, a new connection for every
read and write of a tracker and an fsync per commit; and dask ordering the same graph
again for every run of it (integrations/rasa_graph_runner.py)."""

from __future__ import annotations

import asyncio
import sqlite3

import aiohttp
import ujson
from rasa.core import tracker_store
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import EventVerbosity
from rasa.shared.utils.common import all_subclasses
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from bot.db import tune_sqlite_connection
from integrations import (action_calls, rasa_debug_logs, rasa_graph_runner,
                          rasa_policy_window, rasa_states)
from integrations.action_results import ActionResultCheck


class _KeptSession:
    """`async with` over a client session that stays open for the next request."""

    def __init__(self, session):
        self.session = session

    async def __aenter__(self):
        return self.session

    async def __aexit__(self, *_exc) -> bool:
        return False


def _new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """The session Rasa makes (EndpointConfig.session), writing JSON with ujson: the
    tracker sent with every action call grows with the conversation."""
    auth = (aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
            if endpoint.basic_auth else None)
    return aiohttp.ClientSession(headers=endpoint.headers, auth=auth,
                                 timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                 json_serialize=ujson.dumps)


def _keep_endpoint_sessions() -> None:
    """One client session per endpoint and event loop, so calls reuse kept-alive
    connections (the servers we start keep them longer than aiohttp does:
    SANIC_KEEP_ALIVE_TIMEOUT in bot/runtime/runner.py)."""

    def session(endpoint):
        loop = asyncio.get_running_loop()
        kept = endpoint.__dict__.get("_kept_session")
        if kept is None or kept[0] is not loop or kept[1].closed:
            kept = endpoint.__dict__["_kept_session"] = (loop, _new_session(endpoint))
        return _KeptSession(kept[1])

    EndpointConfig.session = session


def _index_event_types() -> None:
    """Event.resolve_by_type from a table, filled the first time a name is missing."""
    resolve = Event.resolve_by_type
    types: dict = {}

    def resolve_by_type(type_name, default=None):
        if type_name not in types:
            for cls in reversed(all_subclasses(Event)):  # the first one wins, as in Rasa
                types[cls.type_name] = cls
        return types.get(type_name) or resolve(type_name, default)

    Event.resolve_by_type = staticmethod(resolve_by_type)


def _send_recent_events() -> None:
    """Action calls carry the session's recent events and the count of those left out."""
    rasa_format = RemoteAction._action_call_format

    def action_call_format(action, tracker, domain):
        call = rasa_format(action, _WithoutEvents(tracker), _ReadOnTheActionServer(domain))
        events = tracker.events
        start = action_calls.recent_start(events, lambda e: isinstance(e, UserUttered))
        call["tracker"]["events"] = [action_calls.slim(events[i].as_dict())
                                     for i in range(start, len(events))]
        call["tracker"][action_calls.OMITTED] = start
        return call

    RemoteAction._action_call_format = action_call_format


class _ReadOnTheActionServer:
    """The domain as an action call sees it: never sent. Rasa sends its 145 kB (140 of them
    responses) with every call of a form's validation action whatever the endpoint says;
    the action server reads domain.yml itself (actions/base.py project_domain). Decoding it
    was a quarter of the action server's time at 50 conversations (README, "Speed")."""

    def __init__(self, domain):
        self._domain = domain

    def __getattr__(self, name):
        return getattr(self._domain, name)

    @staticmethod
    def does_custom_action_explicitly_need_domain(_action_name) -> bool:
        return False


class _WithoutEvents:
    """A tracker whose state Rasa writes without the events (added after, the recent
    ones only); everything else is the tracker's."""

    def __init__(self, tracker):
        self._tracker = tracker

    def __getattr__(self, name):
        return getattr(self._tracker, name)

    def current_state(self, _verbosity=None):
        return self._tracker.current_state(EventVerbosity.NONE)


def install() -> None:
    """Check action answers against a validator built once, keep HTTP sessions, send
    recent events only, keep dialogue states, show the policies only the states they can
    match, run graphs in a fixed order, index event types, tune SQLite tracker stores,
    leave debug-log arguments to debug logs."""
    check = ActionResultCheck(RemoteAction.action_response_format_spec())
    _keep_endpoint_sessions()
    _send_recent_events()
    rasa_states.install()
    rasa_policy_window.install()
    rasa_debug_logs.install()
    rasa_graph_runner.install()
    _index_event_types()

    def validate_action_result(_action, result) -> bool:
        error = None if check.passes(result) else check.error(result)
        if error is None:
            return True
        error.message += ". The action server's answer does not have the format Rasa expects."
        raise error

    RemoteAction._validate_action_result = validate_action_result

    rasa_engine_kwargs = tracker_store.create_engine_kwargs

    def engine_kwargs(url):
        if make_url(url).get_backend_name() != "sqlite":
            # A connection the database dropped (a restart) is replaced, not used.
            return {**rasa_engine_kwargs(url), "pool_pre_ping": True}
        return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}

    tracker_store.create_engine_kwargs = engine_kwargs
    if not event.contains(Engine, "connect", tune_sqlite_connections):
        event.listen(Engine, "connect", tune_sqlite_connections)


def tune_sqlite_connections(dbapi_connection, record) -> None:
    """Every new SQLite connection of the process, the tracker store's included."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        tune_sqlite_connection(dbapi_connection, record)

