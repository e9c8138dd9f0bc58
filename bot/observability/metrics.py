"""Prometheus metrics: one named function per thing we count, called by one line where it
happens, and figures read from the database at scrape time (the outbox, handoffs), so
that every server reports the same, right number however many of them there are.

Exposed in the Prometheus text format at /metrics of each server process.
"""

from __future__ import annotations

from typing import Iterator, Optional

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.db import Database
from bot.ledger.models import HandoffRequest, OutboundMessage

MESSAGES = Counter("ar_messages_received", "Customer messages handled by the assistant",
                   ["channel", "language"])
REPLY_SECONDS = Histogram(
    "ar_reply_latency_seconds", "From a customer's message arriving to the assistant's "
    "replies handed to the channel", ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
WEBHOOK_REJECTIONS = Counter("ar_webhook_rejections", "Webhook requests refused",
                             ["channel", "reason"])
SEND_FAILURES = Counter("ar_send_failures", "Sends to a provider that failed (each is "
                        "retried from the outbox)", ["channel"])
ACTION_ERRORS = Counter("ar_action_errors", "Custom actions that failed or were refused",
                        ["action", "reason"])

# Why a webhook was refused, from the status the channel answered with.
REJECTION_REASONS = {400: "malformed", 401: "unauthenticated", 403: "signature",
                     404: "not_found", 405: "method", 413: "too_large", 415: "content_type",
                     429: "rate_limited"}
UNKNOWN = "unknown"


def message_received(channel: Optional[str], language: Optional[str]) -> None:
    MESSAGES.labels(channel or UNKNOWN, language or UNKNOWN).inc()


def reply_sent(channel: Optional[str], seconds: float) -> None:
    REPLY_SECONDS.labels(channel or UNKNOWN).observe(seconds)


def webhook_rejected(channel: str, status: int) -> None:
    WEBHOOK_REJECTIONS.labels(channel, REJECTION_REASONS.get(status, str(status))).inc()


def send_failed(channel: str) -> None:
    SEND_FAILURES.labels(channel).inc()


def action_failed(action: Optional[str], reason: str) -> None:
    ACTION_ERRORS.labels(action or UNKNOWN, reason).inc()


class LedgerFigures(Collector):
    """The outbox's depth per channel (pending, failed) and the handoffs opened, claimed
    and resolved, read from the ledger when Prometheus scrapes."""

    def __init__(self, database: Database):
        self.database = database

    def collect(self) -> Iterator:
        depth = GaugeMetricFamily("ar_outbox_messages", "Replies in the outbox not yet "
                                  "taken by the provider", labels=["channel", "status"])
        handoffs = CounterMetricFamily("ar_handoffs", "Conversations handed to an AR "
                                       "collector", labels=["state"])
        with self.database.session() as session:
            rows = session.execute(
                select(OutboundMessage.channel, OutboundMessage.status, func.count())
                .where(OutboundMessage.status.in_(("pending", "failed")))
                .group_by(OutboundMessage.channel, OutboundMessage.status))
            counts = {(channel, status): n for channel, status, n in rows}
            opened, claimed, resolved = session.execute(select(
                func.count(HandoffRequest.id), func.count(HandoffRequest.claimed_at),
                func.count(HandoffRequest.id).filter(HandoffRequest.status == "resolved"),
            )).one()
        for channel in sorted({c for c, _ in counts} | set(OUTBOX_CHANNELS)):
            for status in ("pending", "failed"):
                depth.add_metric([channel, status], counts.get((channel, status), 0))
        for state, value in (("opened", opened), ("claimed", claimed), ("resolved", resolved)):
            handoffs.add_metric([state], value)
        yield depth
        yield handoffs


OUTBOX_CHANNELS = ("sms", "whatsapp", "slack", "email")
_watched: dict[str, LedgerFigures] = {}


def watch_ledger(database: Database) -> None:
    """Report the ledger's figures from this process (once per database)."""
    if database.url not in _watched:
        _watched[database.url] = LedgerFigures(database)
        REGISTRY.register(_watched[database.url])


def exposition(multiprocess_dir: str = "") -> tuple[bytes, str]:
    """Everything this server reports, as Prometheus reads it: (body, content type). A
    server of several worker processes sharing one port (RASA_WORKERS) counts in files in
    `multiprocess_dir` (PROMETHEUS_MULTIPROC_DIR), and any worker's answer adds them all up."""
    if not multiprocess_dir:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    for figures in _watched.values():
        registry.register(figures)
    return generate_latest(registry), CONTENT_TYPE_LATEST
