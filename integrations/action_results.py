"""Rasa's check of each action server answer against its schema, event by event type.

The schema's events are a `oneOf` over Rasa's 23 event types, each told apart by its
`event` name, so jsonschema tried every event of every answer against all 23 (a tenth of
the Rasa server's time at 10 concurrent conversations, README "Speed"). An event can only
match the alternative whose `event` it names, so each is checked against the item's
common part and that one alternative: the same verdict. An answer found wrong is checked
again by the whole schema, for the error Rasa itself would raise.
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for


class ActionResultCheck:
    def __init__(self, schema: dict[str, Any]):
        make = validator_for(schema)
        make.check_schema(schema)  # once, not once per action call
        self.schema = make(schema)
        items = schema["properties"]["events"]["items"]
        self.every_event = make({key: value for key, value in items.items() if key != "oneOf"})
        self.event_of_type = {alternative["properties"]["event"]["const"]: make(alternative)
                              for alternative in items["oneOf"]}
        self.answer = make({**schema, "properties": {
            **schema["properties"], "events": {"type": "array"}}})

    def passes(self, result: Any) -> bool:
        if not self.answer.is_valid(result):
            return False
        for event in (result.get("events") or []) if isinstance(result, dict) else []:
            if not self.every_event.is_valid(event):
                return False
            of_type = self.event_of_type.get(event.get("event"))
            if of_type is None or not of_type.is_valid(event):
                return False
        return True

    def error(self, result: Any):
        """Rasa's error for an answer that does not pass (None if it does, by the schema)."""
        return best_match(self.schema.iter_errors(result))
