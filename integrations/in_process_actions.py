"""Actions run inside the Rasa server's worker processes (ACTION_SERVER_URL=in-process:,
the default), by rasa_sdk's own executor, with the same call and answer Rasa would send
to an action server and read back, minus the HTTP round trip and the JSON written and
parsed on both sides: 9 % less server CPU per message at one conversation, and with the
action server's process gone the Rasa server runs a third worker (README, "Speed").
Past one machine, action servers behind nginx take the calls instead (an http://
ACTION_SERVER_URL), with the same actions.

What the action server's endpoint does around a call is done here too: its rejections
and missing actions come back as its 400 and 404 would, failures are counted, and log
lines of the call name its conversation and hide its text and slot values. An action
that finds the ledger database down raises as an action server behind nginx that is down
answers (503), so that channels keeping their messages answer them once it is back.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Optional

from bot.observability import logs, metrics
from bot.settings import actions_in_process
from integrations.action_calls import keep_omitted_counts, personal_strings
from integrations.per_process import PerProcess

logger = logging.getLogger(__name__)

ACTIONS_PACKAGE = "actions"


def _our_executor() -> Any:
    """rasa_sdk's executor with our actions, made in each worker after Sanic has forked
    it, so each has its own ledger connections (actions/base.py ar_app)."""
    from rasa_sdk.executor import ActionExecutor

    keep_omitted_counts()
    made = ActionExecutor()
    made.register_package(ACTIONS_PACKAGE)
    return made


_executors = PerProcess(_our_executor)


def executor() -> Any:
    """This process's executor with our actions, made on first use."""
    return _executors.get()


def warm() -> None:
    """The executor made and the domain read before the first call: in the first turn
    of each worker they took 200-300 ms of its event loop."""
    from actions.base import project_domain

    executor()
    project_domain()


def _refused(status: int, action: Optional[str], message: str) -> Exception:
    """The error Rasa's RemoteAction reads from an action server's refusal."""
    from rasa.utils.endpoints import ClientResponseError

    return ClientResponseError(status, message, json.dumps(
        {"error": message, "action_name": action}))


async def run_call(call: dict) -> Optional[dict]:
    """An action call answered as rasa_sdk's /webhook answers it."""
    from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

    from integrations.held_turns import dependency_down

    action = call.get("next_action")
    with logs.turn(call.get("sender_id"), *personal_strings(call)):
        try:
            return await executor().run(call)
        except ActionExecutionRejection as error:
            metrics.action_failed(action, "rejected")
            raise _refused(400, error.action_name, error.message) from error
        except ActionNotFoundException as error:
            metrics.action_failed(action, "not_found")
            raise _refused(404, error.action_name, error.message) from error
        except Exception as error:
            if dependency_down(error):  # the ledger database: keep the turn for later
                metrics.action_failed(action, "unreachable")
                raise _refused(503, action, "a service the action needs is down") from error
            metrics.action_failed(action, "error")
            logger.exception("action %s failed", action)
            raise _refused(500, action, str(error)) from error


def install() -> None:
    """Rasa's action endpoint answers calls to an in-process: URL here."""
    from rasa.utils.endpoints import EndpointConfig

    if getattr(EndpointConfig.request, "in_process", False):
        return
    request = EndpointConfig.request

    async def request_or_run(self: Any, method: str = "post", subpath=None,
                             content_type="application/json", compress: bool = False,
                             **kwargs: Any) -> Any:
        if not actions_in_process(self.url):
            return await request(self, method, subpath, content_type, compress, **kwargs)
        return await run_call(kwargs["json"])

    request_or_run.in_process = True
    EndpointConfig.request = request_or_run
