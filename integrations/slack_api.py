"""The two Slack Web API calls the customer channel makes, through slack_sdk's async
client (never blocking the event loop), at the API address the settings name."""

from __future__ import annotations

from typing import Mapping, Optional

from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.app import ARApp
from bot.settings import Settings
from integrations.outbox import Courier, SendDocument
from integrations.slack_events import verified_email

CHANNEL = "slack"  # the Rasa channel, its kept messages and its outbox rows


def thread_address(channel: str, thread_ts: str) -> str:
    """Where a reply goes, as the outbox's recipient: a channel's thread."""
    return f"{channel}/{thread_ts}"


def channel_threads(address: str) -> str:
    """What a thread_address's replies are sent in one sequence with: every thread of its
    channel. Each message is answered in its own thread, and a customer's next message
    may be answered by another server while the answer to the one before is still being
    posted: the answers reach Slack in the order they were given."""
    return address.partition("/")[0] + "/"


def slack_courier(app: ARApp, api: "SlackWebApi", first_retry_seconds: float,
                  documents: Optional[Mapping[str, SendDocument]] = None) -> Courier:
    """The outbox's courier for Slack replies: in order per channel, across its threads."""
    return Courier(app, {CHANNEL: api.post}, first_retry_seconds, documents=documents,
                   sequences={CHANNEL: channel_threads})


class SlackWebApi:
    def __init__(self, settings: Settings):
        self.client = AsyncWebClient(token=settings.slack_bot_token,
                                     base_url=settings.slack_api_base_url, timeout=15)

    async def post(self, address: str, text: str) -> Optional[str]:
        """Post one reply in the thread a thread_address names; Slack's ts of it. Raises
        (slack_sdk.errors.SlackApiError, aiohttp errors) when Slack did not take it."""
        channel, _, thread_ts = address.partition("/")
        response = await self.client.chat_postMessage(
            channel=channel, thread_ts=thread_ts or None, text=text,
            unfurl_links=False, unfurl_media=False)
        return response.get("ts")

    async def upload(self, address: str, filename: str, content: bytes, title: str
                     ) -> Optional[str]:
        """Put a file in the thread a thread_address names (files_upload_v2: upload URL,
        upload, complete); Slack's file id. Raises when Slack did not take it."""
        channel, _, thread_ts = address.partition("/")
        response = await self.client.files_upload_v2(
            channel=channel, thread_ts=thread_ts or None, content=content,
            filename=filename, title=title)
        return (response.get("file") or {}).get("id")

    async def verified_email(self, user_id: str) -> Optional[str]:
        """The user's profile email, only when Slack says they confirmed it."""
        response = await self.client.users_info(user=user_id)
        return verified_email(response.data)
