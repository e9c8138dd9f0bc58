"""When the AR team answers (AR_OFFICE_HOURS, e.g. "Mon-Fri 08:00-18:00 America/New_York"):
whether it is open now and when it next opens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PATTERN = re.compile(r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
                     r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s+(?P<zone>\S+)\s*$",
                     re.IGNORECASE)


class OfficeHoursError(ValueError):
    pass


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(hours, minutes)


@dataclass(frozen=True)
class OfficeHours:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str) -> "OfficeHours":
        match = PATTERN.match(text or "")
        if not match:
            raise OfficeHoursError(f"AR_OFFICE_HOURS {text!r} is not like "
                                   "'Mon-Fri 08:00-18:00 America/New_York'")
        first = DAYS.index(match["first"].lower()) if match["first"].lower() in DAYS else -1
        last_name = (match["last"] or match["first"]).lower()
        last = DAYS.index(last_name) if last_name in DAYS else -1
        if first < 0 or last < 0:
            raise OfficeHoursError(f"AR_OFFICE_HOURS {text!r}: days are Mon..Sun")
        days = frozenset((first + i) % 7 for i in range((last - first) % 7 + 1))
        try:
            zone = ZoneInfo(match["zone"])
        except Exception as error:
            raise OfficeHoursError(f"AR_OFFICE_HOURS: unknown time zone {match['zone']!r}") \
                from error
        return cls(days, _clock(match["start"]), _clock(match["end"]), zone)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_opening(self, moment: datetime) -> Optional[datetime]:
        """When the team is next there (moment itself while open), in the office's zone."""
        local = moment.astimezone(self.zone)
        if self.is_open(moment):
            return local
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            opening = datetime.combine(day, self.start, tzinfo=self.zone)
            if day.weekday() in self.days and opening > local:
                return opening
        return None
