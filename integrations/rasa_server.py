"""`python -m integrations.rasa_server [rasa run options]`: the Rasa server, started as
`rasa run` starts it, with the HTTP API's token read from the settings (RASA_AUTH_TOKEN,
else the token kept in the state folder) and never from the command line, where anyone on
the machine could read it (`ps`, /proc/<pid>/cmdline).

Every option of `rasa run` is parsed by Rasa's own parser, so defaults and checks are
Rasa's; only `--auth-token` is refused. Our logs (LOG_FORMAT) are set up before Rasa is
imported, so that what its imports print is a log record too; the server gets health,
metrics and a log event per turn (integrations/rasa_operations.py).
"""

from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

from bot.observability import logs
from bot.runtime.runner import auth_token
from bot.settings import get_settings

TOKEN_ON_COMMAND_LINE = ("--auth-token is not accepted here: a command line is visible to "
                         "everyone on the machine; set RASA_AUTH_TOKEN instead")


def parse(argv: Sequence[str]):
    """`rasa run` arguments as Rasa parses them; an auth token among them is an error."""
    from rasa.__main__ import create_argument_parser

    args = create_argument_parser().parse_args(["run", *argv])
    if args.auth_token is not None:  # -t, --auth-token, --auth-tok=...: all of them
        raise SystemExit(TOKEN_ON_COMMAND_LINE)
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    settings = get_settings()
    logs.configure_process("rasa", settings)
    import rasa.telemetry
    import rasa.utils.io
    import rasa.utils.tensorflow.environment as tf_env
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from integrations import (in_process_actions, rasa_language_slot, rasa_operations,
                              rasa_tracker_store, rasa_tuning, worker_sockets)

    args = parse(sys.argv[1:] if argv is None else argv)
    args.auth_token = auth_token(settings)
    # What rasa's own entry point (rasa.__main__.main) does before running a command.
    configure_logging_and_warnings(args.loglevel, args.logging_config_file,
                                   warn_only_once=True, filter_repeated_logs=True)
    logs.configure_process("rasa", settings)  # ours again over the handlers Rasa put in
    tf_env.setup_tf_environment()
    tf_env.check_deterministic_ops()
    sys.path.insert(1, os.getcwd())  # our components and connectors, by module path
    rasa.utils.io.configure_colored_logging(args.loglevel)
    logs.configure_process("rasa", settings)
    rasa.telemetry.initialize_telemetry()
    rasa.telemetry.initialize_error_reporting()
    configure_structlog(args.loglevel)
    rasa_tuning.install()
    in_process_actions.install()  # ACTION_SERVER_URL=in-process: (the default)
    rasa_language_slot.install()  # the language slot set here, not by an action call
    worker_sockets.install()  # RASA_WORKERS > 1: connections spread over the workers
    rasa_tracker_store.fail_turns_when_the_store_fails()
    rasa_operations.install()  # health, metrics, and our logs again over Rasa's handlers
    args.func(args)


if __name__ == "__main__":
    main()
