"""A Rasa entity extractor that adds what our parsers are sure of and the learned
extractors missed: an amount written with a currency mark, a dispute reason named in words,
an identifier whose kind the words around it say ("factura 2026/0142", "Ref 000045123"),
a day named in words ("mañana", "el 14 de octubre") or only in part ("octubre");
mends an amount the learned extractor cut short ("R" and "3.200" of "R$ 3.200"); and
drops an account number that nothing in the message says is one.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.conversation.date_spans import date_spans
from bot.conversation.identifier_spans import (ACCOUNT, account_context, identifier_spans,
                                               not_ours_context)
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


IDENTIFIER_TYPES = ("invoice_number", "payment_reference", "account_number")
# What an identifier the words make sure of replaces where the learned extractors saw
# something else in it ("#11873" as a whole, "2026" of "2026/0142" as a date).
_REPLACED_BY_IDENTIFIERS = IDENTIFIER_TYPES + ("amount", "date", "instalments")


def _overlaps(entity: dict[str, Any], start: int, end: int) -> bool:
    return (entity.get("start") is not None and entity["start"] < end
            and entity["end"] > start)


def mended_identifiers(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities with each identifier whose kind the words say (identifier_spans) in
    place of whatever the learned extractors found over it, and without the account
    numbers that are only digits with no account word before them (an order or a phone
    number, more often than not), nor any identifier right after "PO" or "pedido"."""
    spans = identifier_spans(text)
    kept = [e for e in entities
            if not any(_overlaps(e, s.start, s.end) and e.get("entity") in _REPLACED_BY_IDENTIFIERS
                       and (e["entity"], e["start"], e["end"]) != (s.kind, s.start, s.end)
                       for s in spans)]
    kept = [e for e in kept if not _unsupported_account(text, e) and not (
        e.get("entity") in IDENTIFIER_TYPES and e.get("start") is not None
        and not_ours_context(text, e["start"]))]
    present = {(e.get("entity"), e.get("start"), e.get("end")) for e in kept}
    added = [{"entity": s.kind, "value": text[s.start:s.end], "start": s.start, "end": s.end}
             for s in spans if (s.kind, s.start, s.end) not in present]
    if not added and len(kept) == len(entities):
        return entities
    return kept + added


def mended_dates(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities with each sure day expression (date_spans) in place of the dates (and
    the day taken for a count: "2" of "2 de octubre") found inside it, or added where
    nothing was found over it."""
    result = entities
    for start, end in date_spans(text):
        over = [e for e in result if _overlaps(e, start, end)]
        inside = [e for e in over if e.get("entity") in ("date", "instalments")
                  and start <= e["start"] and e["end"] <= end and (e["start"], e["end"]) != (start, end)]
        if over and (not inside or len(inside) != len(over)):
            continue  # found whole already, or over something else
        whole = {"entity": "date", "value": text[start:end], "start": start, "end": end}
        result = [e for e in result if e not in inside] + [whole]
    return result


def _unsupported_account(text: str, entity: dict[str, Any]) -> bool:
    if entity.get("entity") != ACCOUNT or entity.get("start") is None:
        return False
    written = text[entity["start"]:entity["end"]].lstrip("#")
    return written.isdigit() and not account_context(text, entity["start"])


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
            entities = mended_dates(text, mended_identifiers(text, mended_amounts(text, found)))
            added = parsed_entities(text, {e["entity"] for e in entities})
            for entity in added + [e for e in entities if "extractor" not in e]:
                entity["extractor"] = self.__class__.__name__
            if added or entities is not found:
                message.set(ENTITIES, entities + added, add_to_output=True)
        return messages
