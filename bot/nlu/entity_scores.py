"""Entity precision and recall per type, on held-out messages whose entities are annotated.

An annotation is `type=value;type=value`, each value exactly as written in the message.
A predicted entity counts when its type is one we annotate and its text equals an
annotated value of that type in the same message, compared as written (case kept) after
trimming spaces and the punctuation around it ("15.12." and "15.12", "4711?" and
"4711" agree; "inv 7731" and "7731" do not). Each annotated value is matched once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Optional

# The entity types the held-out sets annotate; others the NLU finds are not scored.
SCORED_TYPES = ("invoice_number", "payment_reference", "account_number", "amount", "date",
                "instalments")
_TRIM = " \t.,;:!?¿¡()[]{}\"'«»“”"

Entities = tuple[tuple[str, str], ...]  # (type, value as written)


class AnnotationError(ValueError):
    """An `entities` cell that is not `type=value;...` with values found in the text."""


def trimmed(value: str) -> str:
    return value.strip(_TRIM)


def parse_annotation(cell: str, text: str) -> Entities:
    """The annotated entities of one message; the empty cell means "none"."""
    entities = []
    for part in (p.strip() for p in cell.split(";")):
        if not part:
            continue
        kind, sep, value = part.partition("=")
        kind, value = kind.strip(), value.strip()
        if not sep or kind not in SCORED_TYPES or not value:
            raise AnnotationError(f"{part!r} is not type=value with a type among "
                                  f"{', '.join(SCORED_TYPES)}")
        if value not in text:
            raise AnnotationError(f"{value!r} is not written in the message")
        entities.append((kind, value))
    return tuple(entities)


def predicted_entities(text: str, entities: Iterable[dict]) -> Entities:
    """What the NLU found, of the scored types, as written in the message; the same span
    found by two extractors (the CRF and a regex) counts once."""
    found, spans = [], set()
    for entity in entities:
        if entity.get("entity") not in SCORED_TYPES:
            continue
        start, end = entity.get("start"), entity.get("end")
        if start is not None and end is not None:
            if (entity["entity"], start, end) in spans:
                continue
            spans.add((entity["entity"], start, end))
            written = text[start:end]
        else:
            written = str(entity.get("value") or "")
        found.append((entity["entity"], written))
    return tuple(found)


@dataclass(frozen=True)
class EntityScore:
    kind: str
    annotated: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0 if not self.annotated else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.annotated if self.annotated else 1.0 if not self.predicted else 0.0


def _counts(entities: Entities) -> Counter:
    return Counter((kind, trimmed(value)) for kind, value in entities)


def score(pairs: Iterable[tuple[Entities, Entities]]) -> dict[str, EntityScore]:
    """Per type (and "all", micro-averaged), from (annotated, predicted) per message."""
    annotated, predicted, correct = Counter(), Counter(), Counter()
    for gold, found in pairs:
        gold_counts, found_counts = _counts(gold), _counts(found)
        for (kind, _value), n in gold_counts.items():
            annotated[kind] += n
        for (kind, _value), n in found_counts.items():
            predicted[kind] += n
        for (kind, _value), n in (gold_counts & found_counts).items():
            correct[kind] += n
    kinds = [k for k in SCORED_TYPES if annotated[k] or predicted[k]]
    scores = {k: EntityScore(k, annotated[k], predicted[k], correct[k]) for k in kinds}
    scores["all"] = EntityScore("all", sum(annotated.values()), sum(predicted.values()),
                                sum(correct.values()))
    return scores


def format_annotation(entities: Optional[Entities]) -> str:
    return "" if not entities else ";".join(f"{kind}={value}" for kind, value in entities)
