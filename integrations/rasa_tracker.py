"""What Rasa's tracker store holds about a conversation, read by a channel connector from
the request it is handling (the agent the Rasa server put on the app)."""

from __future__ import annotations

from typing import Any, Optional


async def conversation_language(request: Any, sender_id: str) -> Optional[str]:
    """The conversation's language slot, or None when there is no conversation yet (or no
    agent, as when a connector is exercised without a Rasa server)."""
    ctx = getattr(getattr(request, "app", None), "ctx", None)
    agent = getattr(ctx, "agent", None)
    tracker = await agent.tracker_store.retrieve(sender_id) if agent else None
    return tracker.get_slot("language") if tracker else None
