"""The review inbox: the customers' messages the bot was unsure of, a reviewer's verdict
on each, and the verdicts written out as Rasa training data (data/nlu/<lang>/reviewed.yml)
and, on request, a conversation as a test story."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.console.audit import audit
from bot.console.models import IndexedConversation, IndexedMessage, MessageReview
from bot.console.transcript import HOUSEKEEPING_ACTIONS
from bot.languages import SUPPORTED_LANGUAGES
from bot.settings import PROJECT_ROOT

REVIEWED_FILE = "reviewed.yml"
NOT_TRAINABLE = {"nlu_fallback", None, ""}
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


class ReviewError(ValueError):
    """A verdict that cannot become training data; the message says why."""


@dataclass(frozen=True)
class Vocabulary:
    """The intents and entities a verdict may name: the domain's own."""

    intents: list[str]
    entities: list[str]

    @classmethod
    def from_domain(cls, path: Path = PROJECT_ROOT / "domain.yml") -> "Vocabulary":
        domain = yaml.safe_load(path.read_text())
        names = lambda items: [i if isinstance(i, str) else next(iter(i)) for i in items or []]
        return cls(names(domain.get("intents")),
                   [e for e in names(domain.get("entities")) if e != "detected_language"])


def inbox(session: Session, limit: int = 50) -> list[IndexedMessage]:
    """Unreviewed customer messages that were below the confidence, fell back, or that
    the customer corrected ("no, that's not it"), newest first."""
    reviewed = select(MessageReview.event_id)
    return list(session.scalars(select(IndexedMessage).where(
        IndexedMessage.speaker == "customer", IndexedMessage.text != "",
        or_(IndexedMessage.low_confidence, IndexedMessage.fallback,
            IndexedMessage.corrected_by_customer),
        IndexedMessage.event_id.notin_(reviewed)).order_by(IndexedMessage.at.desc()).limit(limit)))


def parse_entities(text: str, spec: str, vocabulary: Vocabulary) -> list[dict]:
    """"type=words; type=words" into entities over the message's own words."""
    entities = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        name, _, value = (s.strip() for s in part.partition("="))
        if name not in vocabulary.entities:
            raise ReviewError(f"unknown entity {name!r}; one of {', '.join(vocabulary.entities)}")
        start = text.find(value) if value else -1
        if start < 0:
            raise ReviewError(f"{value!r} is not in the message")
        entities.append({"entity": name, "value": value, "start": start, "end": start + len(value)})
    entities.sort(key=lambda e: e["start"])
    for before, after in zip(entities, entities[1:]):
        if after["start"] < before["end"]:
            raise ReviewError("two entities overlap")
    return entities


def entity_spec(entities: list[dict], text: str) -> str:
    """The form's way of writing the entities a message has."""
    parts = []
    for e in entities:
        if "start" in e and "end" in e:
            parts.append(f"{e['entity']}={text[e['start']:e['end']]}")
    return "; ".join(parts)


def record_verdict(session: Session, message: IndexedMessage, intent: str, entities: list[dict],
                   reviewer: str, vocabulary: Vocabulary) -> MessageReview:
    if intent not in vocabulary.intents:
        raise ReviewError(f"unknown intent {intent!r}")
    verdict = "confirmed" if intent == message.intent and entities == [
        {k: e[k] for k in ("entity", "value", "start", "end") if k in e} for e in message.entities
    ] else "corrected"
    review = session.scalars(select(MessageReview).where(
        MessageReview.event_id == message.event_id)).first() or MessageReview(event_id=message.event_id)
    review.conversation_id = message.conversation_id
    review.text = message.text
    review.language = message.language if message.language in SUPPORTED_LANGUAGES else "en"
    review.predicted_intent, review.intent, review.entities = message.intent, intent, entities
    review.verdict, review.reviewer = verdict, reviewer
    session.add(review)
    session.flush()
    audit(session, reviewer, f"message_{verdict}", message.conversation_id,
          {"event_id": message.event_id, "intent": intent, "was": message.intent})
    return review


_LITERAL = str.maketrans({"[": "(", "]": ")", "\n": " ", "\r": " ", "\t": " "})


def annotate(text: str, entities: list[dict]) -> str:
    """The message in Rasa's annotation: [words](entity), or [words]{"entity": .., "value": ..}
    when the value is not the words. Brackets and line breaks of the message itself become
    parentheses and spaces, one for one, so the offsets hold and Rasa reads it literally."""
    text = text.translate(_LITERAL)
    out, position = [], 0
    for e in sorted(entities, key=lambda e: e["start"]):
        span = text[e["start"]:e["end"]]
        out.append(text[position:e["start"]])
        if str(e.get("value", span)) == span:
            out.append(f"[{span}]({e['entity']})")
        else:
            out.append(f"[{span}]" + json.dumps({"entity": e["entity"], "value": str(e["value"])},
                                                ensure_ascii=False))
        position = e["end"]
    out.append(text[position:])
    return "".join(out).strip()


def _known_examples(language_dir: Path) -> set[str]:
    """The examples already in the language's other training files, as plain text."""
    known = set()
    for path in language_dir.glob("*.yml"):
        if path.name == REVIEWED_FILE:
            continue
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    known.add(_ANNOTATION.sub(r"\1", line[2:]).strip().lower())
    return known


def write_training_data(session: Session, nlu_dir: Path) -> dict[str, Path]:
    """Rewrite data/nlu/<lang>/reviewed.yml from every verdict (stable, no duplicates;
    an example the language's training data already has is left out, so the data stays
    free of conflicts `rasa data validate` would report). The files written, by language."""
    written = {}
    reviews = list(session.scalars(select(MessageReview).where(
        MessageReview.intent.notin_([i for i in NOT_TRAINABLE if i]))
        .order_by(MessageReview.intent, MessageReview.id)))
    for language in SUPPORTED_LANGUAGES:
        language_dir = nlu_dir / language
        path = language_dir / REVIEWED_FILE
        mine = [r for r in reviews if r.language == language]
        if not mine:
            if path.exists():
                path.unlink()
            continue
        known = _known_examples(language_dir)
        by_intent: dict[str, list[str]] = {}
        seen = set()
        for review in mine:
            plain = " ".join(review.text.split()).lower()
            if not plain or plain in known or plain in seen:
                continue
            seen.add(plain)
            by_intent.setdefault(review.intent, []).append(annotate(review.text, review.entities))
        lines = ['version: "3.1"', "",
                 "# Written by the console's review inbox (bot/console/reviews.py): messages",
                 "# a reviewer confirmed or corrected. Edit the verdicts in the console, not here.",
                 "nlu:"]
        for intent, examples in by_intent.items():
            lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {e}" for e in examples]
        if not by_intent:
            lines[-1] = "nlu: []"
        language_dir.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        written[language] = path
    return written


def write_test_story(session: Session, conversation: IndexedConversation, stories_dir: Path,
                     reviewer: str) -> Path:
    """The conversation as a Rasa test story (intents as reviewed, actions as taken), in
    tests/stories/reviewed_conversations.yml; the next `rasa test core` checks it."""
    verdicts = {r.event_id: r for r in session.scalars(select(MessageReview).where(
        MessageReview.conversation_id == conversation.conversation_id))}
    steps = []
    for message in session.scalars(select(IndexedMessage).where(
            IndexedMessage.conversation_id == conversation.conversation_id,
            IndexedMessage.speaker == "customer").order_by(IndexedMessage.event_id)):
        review = verdicts.get(message.event_id)
        intent = review.intent if review else message.intent
        if intent in NOT_TRAINABLE:
            continue
        entities = review.entities if review else message.entities
        steps.append({"user": annotate(message.text, entities), "intent": intent})
        steps += [{"action": a} for a in message.actions
                  if a not in HOUSEKEEPING_ACTIONS and not a.startswith("validate_")]
    if not steps:
        raise ReviewError("this conversation has no message with a trainable intent")
    path = stories_dir / "reviewed_conversations.yml"
    existing = yaml.safe_load(path.read_text()) if path.exists() else None
    stories = [s for s in (existing or {}).get("stories") or []
               if s.get("story") != f"conversation {conversation.id}"]
    stories.append({"story": f"conversation {conversation.id}", "steps": steps})
    stories_dir.mkdir(parents=True, exist_ok=True)
    path.write_text("# Written by the console from reviewed conversations.\n" + yaml.safe_dump(
        {"version": "3.1", "stories": stories}, allow_unicode=True, sort_keys=False))
    audit(session, reviewer, "test_story_written", conversation.conversation_id, {"steps": len(steps)})
    return path
