"""Posting to the AR channel in Slack, one outbox item at a time: the card (drawn from the
database when it is sent, so it always shows the current owner and wait), its updates,
thread lines, reactions and re-announcements. Raises when Slack does not take an item, so
the outbox keeps it and retries; nothing for a handoff overtakes its card."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session

from bot.handoff import ar_outbox, service
from bot.handoff.card import card_blocks, card_text
from bot.handoff.translation import Translator
from bot.ledger.models import HandoffRequest
from bot.runtime.app import ARApp
from integrations.slack_conversation import in_session


class ARChannelPoster:
    def __init__(self, app: ARApp, client: AsyncWebClient, channel: str,
                 translator: Translator):
        self.app, self.client, self.channel = app, client, channel
        self.translator = translator

    async def _db(self, work: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(in_session, self.app, work, *args)

    def _translations(self, handoff: HandoffRequest) -> dict[int, str]:
        """English translations of the card's non-English customer messages, where the
        translation service (HANDOFF_TRANSLATOR, off by default) gives one."""
        found = {}
        for index, message in enumerate((handoff.snapshot or {}).get("messages") or []):
            if message["who"] == "customer" and message.get("language") not in (None, "en"):
                english = self.translator.to_english(message["text"], message["language"])
                if english:
                    found[index] = english
        return found

    def _card_view(self, session: Session, reference: str) -> dict[str, Any]:
        handoff = service.find(session, reference)
        return {"card_channel": handoff.card_channel, "card_ts": handoff.card_ts,
                "text": card_text(handoff),
                "blocks": card_blocks(handoff, self.app.now(), self._translations(handoff))}

    def _card_posted(self, session: Session, reference: str, channel: str, ts: str) -> None:
        handoff = service.find(session, reference)
        handoff.card_channel, handoff.card_ts = channel, ts
        handoff.announced_at = self.app.now()

    async def post(self, reference: str, body: str) -> Optional[str]:
        """Post one queued item about a handoff to Slack; raises when Slack did not take it."""
        post = ar_outbox.parse(body)
        view = await self._db(self._card_view, reference)
        if post["kind"] == "card":
            if view["card_ts"]:
                return view["card_ts"]
            answer = await self.client.chat_postMessage(
                channel=self.channel, text=view["text"],
                blocks=view["blocks"], unfurl_links=False, unfurl_media=False)
            await self._db(self._card_posted, reference, answer["channel"], answer["ts"])
            return answer["ts"]
        if not view["card_ts"]:
            raise RuntimeError("the card is not posted yet")
        channel, ts = view["card_channel"], view["card_ts"]
        if post["kind"] == "update":
            await self.client.chat_update(channel=channel, ts=ts, text=view["text"],
                                          blocks=view["blocks"])
            return ts
        if post["kind"] == "reaction":
            try:
                await self.client.reactions_add(channel=channel, timestamp=post["ts"],
                                                name=post["name"])
            except SlackApiError as error:
                if error.response.get("error") != "already_reacted":
                    raise
            return None
        answer = await self.client.chat_postMessage(
            channel=channel, thread_ts=ts, text=post["text"], unfurl_links=False,
            reply_broadcast=post["kind"] == "reannounce")
        if post["kind"] == "reannounce":
            await self.client.chat_update(channel=channel, ts=ts, text=view["text"],
                                          blocks=view["blocks"])
        return answer.get("ts")
