"""A Rasa entity extractor that adds what our parsers are sure of and the learned
extractors missed: an amount written with a currency mark, a dispute reason named in words;
and mends an amount the learned extractor cut short ("R" and "3.200" of "R$ 3.200").
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.conversation.parsing import marked_amount_span
from bot.requests.disputes import reason_from_text


def mended_amounts(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities with any amount that covers only part of a marked amount ("3" of
    "3 150 €", "the EUR" and "1.100,00" of "EUR 1.100,00") replaced by the whole of it."""
    span = marked_amount_span(text)
    if span is None:
        return entities
    start, end = span
    parts = [e for e in entities if e.get("entity") == "amount" and e.get("start") is not None
             and e["start"] < end and e["end"] > start and (e["start"], e["end"]) != span]
    if not parts:
        return entities
    whole = {**parts[0], "value": text[start:end], "start": start, "end": end}
    return [e for e in entities if e not in parts] + [whole]


def parsed_entities(text: str, found: set[str]) -> list[dict[str, Any]]:
    """The entities of `text` the parsers find, for the types not in `found`."""
    entities = []
    span = marked_amount_span(text) if "amount" not in found else None
    if span:
        entities.append({"entity": "amount", "value": text[span[0]:span[1]],
                         "start": span[0], "end": span[1]})
    # A bare number picks a reason only in the dispute form's list, not here.
    worded = not text.strip().isdigit()
    reason = reason_from_text(text) if worded and "dispute_reason" not in found else None
    if reason and reason != "other":
        entities.append({"entity": "dispute_reason", "value": reason,
                         "start": 0, "end": len(text)})
    return entities


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ParsedEntityExtractor(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ParsedEntityExtractor":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = message.get(ENTITIES, [])
            entities = mended_amounts(text, found)
            added = parsed_entities(text, {e["entity"] for e in entities})
            for entity in added:
                entity["extractor"] = self.__class__.__name__
            if added or entities is not found:
                message.set(ENTITIES, entities + added, add_to_output=True)
        return messages
