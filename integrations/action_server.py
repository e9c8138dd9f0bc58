"""`python -m integrations.action_server [rasa_sdk options]`: the Rasa SDK action server,
started as `python -m rasa_sdk` starts it (rasa_sdk imported after our logs are set up, so
that what its imports print is a log record too), plus /health/live, /health/ready (the ledger
database answers) and /metrics, a count of failed actions, and redacted JSON logs in
which each line of an action call names its conversation (hashed); at LOG_LEVEL=DEBUG
one of them per call (`"event": "action"`: the action, its HTTP status, how long it
took). Not at INFO: written on every call, that line cost a quarter of the benchmark's
throughput at 50 conversations (measured, README "Logs"; not understood yet).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Optional, Sequence

from sanic import Sanic
from sanic.request import Request

from bot.observability import health, logs, metrics
from bot.settings import Settings, get_settings
from integrations.action_calls import keep_omitted_counts, personal_strings
from integrations.operations import add_routes

logger = logging.getLogger(__name__)
call_logger = logging.getLogger("actions.call")
ERROR_REASONS = {400: "rejected", 404: "not_found"}


def instrument(app: Sanic, settings: Settings) -> None:
    add_routes(app, lambda _request: {
        "ar_database": health.database_check(settings.ar_database_url)})

    @app.middleware("request")
    async def begin_call(request: Request) -> None:
        request.ctx.action, request.ctx.started = None, time.monotonic()
        if request.path != "/webhook":
            logs.begin(None)
            return
        try:
            call: Any = request.json or {}
        except Exception:  # a body that is not JSON: rasa_sdk answers it
            call = {}
        if isinstance(call, dict):
            request.ctx.action = call.get("next_action")
            logs.begin(call.get("sender_id"), *personal_strings(call))

    @app.middleware("response")
    async def count_failures(request: Request, reply) -> None:
        if request.path != "/webhook" or reply is None:
            return
        action = getattr(request.ctx, "action", None)
        if reply.status >= 400:
            metrics.action_failed(action, ERROR_REASONS.get(reply.status, "error"))
        call_logger.debug("action", extra={
            "event": "action", "action": action if isinstance(action, str) else None,
            "status": reply.status,
            "latency_ms": round((time.monotonic() - request.ctx.started) * 1000, 1)})


def main(argv: Optional[Sequence[str]] = None) -> None:
    settings = get_settings()
    logs.configure_process("actions", settings)  # before rasa_sdk's imports print anything
    from rasa_sdk import utils
    from rasa_sdk.endpoint import create_app, create_argument_parser
    from rasa_sdk.plugin import plugin_manager

    args = create_argument_parser().parse_args(argv)
    keep_omitted_counts()  # before any action call is read
    utils.update_sanic_log_level()
    # The more detailed of rasa_sdk's flags (INFO unless given) and Rasa's LOG_LEVEL.
    named = logging.getLevelName(os.environ.get("LOG_LEVEL", "INFO").upper())
    logs.configure_process("actions", settings, level=min(
        args.loglevel or logging.INFO, named if isinstance(named, int) else logging.INFO))
    app = create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    instrument(app, settings)
    host = settings.action_interface  # only Rasa may reach it (ACTION_SERVER_INTERFACE)
    logger.info("Action server listening on http://%s:%s", host, args.port)
    app.run(host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
