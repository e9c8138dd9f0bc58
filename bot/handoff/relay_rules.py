"""What a channel allows when a collector's reply is about to go out: an SMS or WhatsApp
opt-out stops it, and WhatsApp takes free text only within 24 hours of the customer's
last message (outside it, only pre-approved templates, which a collector's reply is not)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

WHATSAPP_WINDOW = timedelta(hours=24)


def why_not_sendable(channel: Optional[str], opted_out: bool,
                     last_customer_message_at: Optional[datetime], now: datetime
                     ) -> Optional[str]:
    """Why the reply must not be sent now (for the collector), or None when it may."""
    if channel in ("sms", "whatsapp") and opted_out:
        return (f"the customer opted out of {'SMS' if channel == 'sms' else 'WhatsApp'} "
                "messages (they must text START first)")
    if channel == "whatsapp" and (last_customer_message_at is None
                                  or now - last_customer_message_at > WHATSAPP_WINDOW):
        return ("WhatsApp's 24-hour window has closed (the customer last wrote more than "
                "24 hours ago); reach them another way or wait until they write again")
    return None
