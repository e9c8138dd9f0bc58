"""A trained Rasa model loaded in this process, as the parse function the NLU evaluation takes."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import structlog
from rasa.core.agent import Agent

from bot.nlu.evaluation import Parse


def model_parser(model: Path) -> Parse:
    """Parse with a trained Rasa model, in this process (no server needed)."""
    agent = Agent.load(str(model))
    # Rasa logs every parse at debug level: keep the report readable.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("rasa").setLevel(logging.WARNING)
    loop = asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))
