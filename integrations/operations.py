"""Health and metrics routes on our Sanic servers (Rasa, the action server):

    GET /health/live    200 {"status": "ok"} while the process answers
    GET /health/ready   200 when everything it needs answers, else 503; JSON naming each check
    GET /metrics        Prometheus text format (bot/observability/metrics.py)"""

from __future__ import annotations

import asyncio
from typing import Callable, Mapping

from sanic import Sanic, response
from sanic.request import Request

from bot.observability import health, metrics
from bot.settings import get_settings

Checks = Callable[[Request], Mapping[str, health.Check]]


def add_routes(app: Sanic, checks: Checks) -> None:
    @app.get("/health/live")
    async def live(_request: Request):
        return response.json(health.LIVE)

    @app.get("/health/ready")
    async def ready(request: Request):
        # The checks block (database drivers, urllib): keep them off the event loop.
        status, report = await asyncio.get_running_loop().run_in_executor(
            None, health.readiness, checks(request))
        return response.json(report, status=status)

    @app.get("/metrics")
    async def scrape(_request: Request):
        body, content_type = await asyncio.get_running_loop().run_in_executor(
            None, metrics.exposition, get_settings().metrics_dir)
        return response.raw(body, content_type=content_type)
