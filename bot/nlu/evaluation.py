"""`python -m bot eval-nlu FILE.tsv`: how well the trained model understands unseen messages.

Each text is read as the first message of a new conversation: the trained model gives the
intent, and the conversation's language logic (bot/conversation/language_detection.py) gives the
language the reply would be in. Files with a 4th column `entities` (`type=value;...`,
see bot/nlu/entity_scores.py) are also scored for entity precision and recall per type.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from bot.conversation.language_detection import Detection, choose_language, langdetect_language
from bot.nlu.entity_scores import (AnnotationError, Entities, EntityScore, format_annotation,
                                   parse_annotation, predicted_entities, score)

HEADER = ("text", "intent", "lang")
ANNOTATED_HEADER = HEADER + ("entities",)
OUTPUT_HEADER = ("text", "intent", "predicted_intent", "confidence", "lang", "predicted_lang",
                 "entities", "predicted_entities")


class EvaluationFileError(ValueError):
    """The evaluation file is not a `text<TAB>intent<TAB>lang[<TAB>entities]` table."""


@dataclass(frozen=True)
class Sample:
    text: str
    intent: str
    lang: str
    entities: Optional[Entities] = None  # None: not annotated; (): annotated as none


@dataclass(frozen=True)
class Prediction:
    sample: Sample
    intent: str
    confidence: float
    lang: str
    baseline_lang: Optional[str] = None  # langdetect alone, for comparison
    entities: Entities = ()  # what the NLU found, of the scored types


@dataclass
class Report:
    predictions: list[Prediction] = field(default_factory=list)
    parse_seconds: float = 0.0  # time spent in the model, all messages together

    @property
    def intent_accuracy(self) -> float:
        return _share(p.intent == p.sample.intent for p in self.predictions)

    @property
    def language_accuracy(self) -> float:
        return _share(p.lang == p.sample.lang for p in self.predictions)

    @property
    def baseline_language_accuracy(self) -> float:
        return _share(p.baseline_lang == p.sample.lang for p in self.predictions)

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the intents the file contains (a missing class scores 0)."""
        labels = sorted({p.sample.intent for p in self.predictions})
        if not labels:
            return 0.0
        scores = []
        for label in labels:
            true_positive = sum(p.intent == label == p.sample.intent for p in self.predictions)
            predicted = sum(p.intent == label for p in self.predictions)
            actual = sum(p.sample.intent == label for p in self.predictions)
            precision = true_positive / predicted if predicted else 0.0
            recall = true_positive / actual if actual else 0.0
            scores.append(2 * precision * recall / (precision + recall)
                          if precision + recall else 0.0)
        return sum(scores) / len(scores)

    def intent_accuracy_by_language(self) -> dict[str, float]:
        languages = sorted({p.sample.lang for p in self.predictions})
        return {language: _share(p.intent == p.sample.intent
                                 for p in self.predictions if p.sample.lang == language)
                for language in languages}

    def confusions(self, top: int = 10) -> list[tuple[tuple[str, str], int]]:
        """The most frequent (expected intent, predicted intent) mistakes."""
        return Counter((p.sample.intent, p.intent) for p in self.predictions
                       if p.intent != p.sample.intent).most_common(top)

    def entity_scores(self) -> dict[str, EntityScore]:
        """Per entity type and "all", over the messages whose entities are annotated."""
        return score((p.sample.entities, p.entities) for p in self.predictions
                     if p.sample.entities is not None)

    @property
    def annotated_count(self) -> int:
        return sum(p.sample.entities is not None for p in self.predictions)

    def language_confusions(self, top: int = 5) -> list[tuple[tuple[str, str], int]]:
        return Counter((p.sample.lang, p.lang) for p in self.predictions
                       if p.lang != p.sample.lang).most_common(top)

    def summary(self) -> str:
        lines = [
            f"messages           {len(self.predictions)}  "
            f"({1000 * self.parse_seconds / max(len(self.predictions), 1):.1f} ms each to parse)",
            f"intent accuracy    {self.intent_accuracy:.3f}",
            f"intent macro-F1    {self.macro_f1:.3f}",
            f"language accuracy  {self.language_accuracy:.3f}  "
            f"(langdetect alone: {self.baseline_language_accuracy:.3f})",
            "intent accuracy by language: " + ", ".join(
                f"{language} {score:.3f}"
                for language, score in self.intent_accuracy_by_language().items()),
        ]
        if self.confusions():
            lines.append("most frequent intent mistakes (expected -> predicted: count):")
            lines += [f"  {expected} -> {predicted}: {count}"
                      for (expected, predicted), count in self.confusions()]
        if self.language_confusions():
            lines.append("language mistakes (expected -> answered in: count):")
            lines += [f"  {expected} -> {predicted}: {count}"
                      for (expected, predicted), count in self.language_confusions()]
        if self.annotated_count:
            lines.append(f"entities on {self.annotated_count} annotated messages "
                         "(type: precision recall, annotated / predicted):")
            lines += [f"  {s.kind:<18} {s.precision:.3f} {s.recall:.3f}  "
                      f"{s.annotated} / {s.predicted}" for s in self.entity_scores().values()]
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter="\t", lineterminator="\n")
            writer.writerow(OUTPUT_HEADER)
            for p in self.predictions:
                writer.writerow((p.sample.text, p.sample.intent, p.intent,
                                 f"{p.confidence:.4f}", p.sample.lang, p.lang,
                                 format_annotation(p.sample.entities),
                                 format_annotation(p.entities)))


def _share(hits: Iterable[bool]) -> float:
    hits = list(hits)
    return sum(hits) / len(hits) if hits else 0.0


def read_samples(path: Path) -> list[Sample]:
    """The messages of one file, or of every *.tsv in a folder."""
    if path.is_dir():
        files = sorted(path.glob("*.tsv"))
        if not files:
            raise EvaluationFileError(f"{path}: no .tsv files in this folder")
        return [sample for file in files for sample in read_samples(file)]
    with path.open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source, delimiter="\t", quoting=csv.QUOTE_NONE))
    header = tuple(cell.strip() for cell in rows[0]) if rows else ()
    if header not in (HEADER, ANNOTATED_HEADER):
        raise EvaluationFileError(f"{path}: the first line must be the header "
                                  f"{chr(9).join(HEADER)!r}, optionally followed by "
                                  f"{chr(9) + 'entities'!r}")
    annotated = header == ANNOTATED_HEADER
    samples = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if annotated and len(row) == len(HEADER):
            row = row + [""]  # no entities in this message
        if len(row) != len(header) or not all(cell.strip() for cell in row[:3]):
            raise EvaluationFileError(f"{path}, line {number}: expected tab-separated "
                                      f"cells: {', '.join(header)}")
        text, intent, lang = (cell.strip() for cell in row[:3])
        try:
            entities = parse_annotation(row[3], text) if annotated else None
        except AnnotationError as error:
            raise EvaluationFileError(f"{path}, line {number}: {error}") from None
        samples.append(Sample(text, intent, lang, entities))
    if not samples:
        raise EvaluationFileError(f"{path}: no messages to evaluate")
    return samples


Parse = Callable[[str], dict]


def evaluate(samples: list[Sample], parse: Parse) -> Report:
    """Run each sample through `parse` (text -> Rasa's parse result) as a first message."""
    report = Report()
    for sample in samples:
        started = time.perf_counter()
        parsed = parse(sample.text)
        report.parse_seconds += time.perf_counter() - started
        intent = parsed.get("intent") or {}
        detection = Detection.from_entities(parsed.get("entities") or [])
        language = choose_language(sample.text, detection, previous=None, preferred=None)
        report.predictions.append(Prediction(
            sample, intent.get("name") or "", float(intent.get("confidence") or 0.0), language,
            baseline_lang=langdetect_language(sample.text),
            entities=predicted_entities(sample.text, parsed.get("entities") or [])))
    return report


@dataclass(frozen=True)
class Targets:
    intent_accuracy: float = 0.0
    macro_f1: float = 0.0
    language_accuracy: float = 0.0
    entity_precision: float = 0.0  # over all scored types together (micro-averaged)
    entity_recall: float = 0.0

    def misses(self, report: Report) -> list[str]:
        checks = [("intent accuracy", report.intent_accuracy, self.intent_accuracy),
                  ("intent macro-F1", report.macro_f1, self.macro_f1),
                  ("language accuracy", report.language_accuracy, self.language_accuracy)]
        if self.entity_precision or self.entity_recall:
            if not report.annotated_count:
                return ["entity targets were given but no message has annotated entities"]
            overall = report.entity_scores()["all"]
            checks += [("entity precision", overall.precision, self.entity_precision),
                       ("entity recall", overall.recall, self.entity_recall)]
        return [f"{name} {value:.3f} is under the target {target:.3f}"
                for name, value, target in checks if value < target]
