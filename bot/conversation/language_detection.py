"""Which of our five languages a message is in, and which one the conversation speaks.

A detector alone misreads one- and two-word messages ("ok", "vale", "merci"), so the
conversation's language comes from more than the message: an explicit request, the
language already spoken, the contact's stored preference, and then the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from bot.languages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from bot.settings import PROJECT_ROOT

# A message this short never flips the language of a conversation already under way.
SHORT_MESSAGE_WORDS = 2
CONFIDENT = 0.60
NLU_DATA = PROJECT_ROOT / "data" / "nlu"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def words_of(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text or "")


def _squeeze(text: str) -> str:
    """'graciaaas', 'simm', 'nãoo' -> 'gracias', 'sim', 'não': chat stretches words."""
    return re.sub(r"(\w)\1{2,}", r"\1", re.sub(r"(\w)\1+\b", r"\1", text.lower()))


def _prepared(text: str) -> str:
    return _squeeze(" ".join(words_of(text)))


def training_examples(root: Path = NLU_DATA) -> tuple[list[str], list[str]]:
    """Every NLU example, labelled with the language folder it is written in."""
    import yaml

    texts, languages = [], []
    for language in SUPPORTED_LANGUAGES:
        for path in sorted((root / language).glob("*.yml")):
            for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
                for line in (block.get("examples") or "").splitlines() if "intent" in block else []:
                    line = line.strip()
                    if line.startswith("- "):
                        texts.append(_ANNOTATION.sub(r"\1", line[2:]))
                        languages.append(language)
    return texts, languages


class LanguageModel:
    """Word and character n-grams of our own AP-chat examples in each language: they know
    'vale', 'obg' and 'RE-Nr' where a general-purpose detector guesses."""

    def __init__(self, pipeline=None):
        self.pipeline = pipeline

    def fit(self, texts: list[str], languages: list[str]) -> "LanguageModel":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        features = make_union(
            TfidfVectorizer(sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True),
        )
        self.pipeline = make_pipeline(features, LogisticRegression(C=50, max_iter=3000))
        self.pipeline.fit([_prepared(t) for t in texts], languages)
        return self

    @classmethod
    def from_training_data(cls, root: Path = NLU_DATA) -> "LanguageModel":
        return cls().fit(*training_examples(root))

    def detect(self, text: str) -> "Detection":
        """The message's language with a confidence, or (None, 0) when it has no words."""
        words = words_of(text)
        if not words:
            return Detection(None, 0.0)
        scores = self.pipeline.predict_proba([_prepared(text)])[0]
        best = int(scores.argmax())
        return Detection(str(self.pipeline.classes_[best]), float(scores[best]))


@dataclass(frozen=True)
class Detection:
    language: Optional[str]
    confidence: float

    @classmethod
    def from_entities(cls, entities: list[dict]) -> "Detection":
        """What the NLU pipeline's LanguageDetector found in a parsed message."""
        found = next((e for e in entities or [] if e.get("entity") == "detected_language"),
                     None)
        if found is None:
            return cls(None, 0.0)
        return cls(found["value"], float(found.get("confidence_entity") or 0.0))


def langdetect_language(text: str) -> Optional[str]:
    """What langdetect alone (seeded, restricted to our languages) says: the baseline the
    evaluation compares our detector with."""
    from langdetect import detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    detector_factory.init_factory()  # loads the profiles once
    detector = detector_factory._factory.create()
    detector.set_prior_map({language: 1.0 for language in SUPPORTED_LANGUAGES})
    detector.seed = 0
    detector.append(text)
    try:
        found = [p for p in detector.get_probabilities() if p.lang in SUPPORTED_LANGUAGES]
    except LangDetectException:
        return None
    return found[0].lang if found else None


def choose_language(text: str, detection: Detection, previous: Optional[str],
                    preferred: Optional[str], requested: Optional[str] = None) -> str:
    """The language to answer in.

    An explicit request wins; a short message keeps the language already spoken; a
    confident detection switches it; otherwise the language spoken, then the contact's
    stored preference, then whatever the detector leaned to, then English.
    """
    if requested in SUPPORTED_LANGUAGES:
        return requested
    if previous in SUPPORTED_LANGUAGES and len(words_of(text)) <= SHORT_MESSAGE_WORDS:
        return previous
    if detection.language and detection.confidence >= CONFIDENT:
        return detection.language
    for candidate in (previous, preferred, detection.language):
        if candidate in SUPPORTED_LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE
