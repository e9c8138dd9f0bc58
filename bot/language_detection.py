"""Which of our five languages a message is in, and which one the conversation speaks.

A detector alone misreads one- and two-word messages ("ok", "vale", "merci"), so the
conversation's language comes from more than the message: an explicit request, the
language already spoken, the contact's stored preference, and then the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

from bot.languages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from bot.settings import PROJECT_ROOT

# A message this short never flips the language of a conversation already under way.
SHORT_MESSAGE_WORDS = 2
CONFIDENT = 0.60
NLU_DATA = PROJECT_ROOT / "data" / "nlu"
# Over this many words, character statistics of general text (langdetect) help too.
LONG_MESSAGE_WORDS = 4
LANGDETECT_WEIGHT = 0.3
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def words_of(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text or "")


def _squeeze(text: str) -> str:
    """'graciaaas', 'simm', 'nãoo' -> 'gracias', 'sim', 'não': chat stretches words."""
    return re.sub(r"(\w)\1{2,}", r"\1", re.sub(r"(\w)\1+\b", r"\1", text.lower()))


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


@lru_cache(maxsize=1)
def _domain_model():
    """Character n-grams of our own AP-chat examples: they know 'vale', 'obg' and 'RE-Nr'
    where a general-purpose detector guesses."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    texts, languages = training_examples()
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
        MultinomialNB(alpha=0.1),
    )
    return model.fit([_squeeze(t) for t in texts], languages)


@dataclass(frozen=True)
class Detection:
    language: Optional[str]
    confidence: float


@lru_cache(maxsize=1)
def _detector_factory():
    from langdetect import DetectorFactory
    from langdetect.detector_factory import init_factory

    init_factory()
    from langdetect.detector_factory import _factory

    return _factory


def _langdetect(text: str) -> dict[str, float]:
    """Probabilities over our five languages only, seeded so a message always reads the same."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _detector_factory().create()
    detector.set_prior_map({language: 1.0 for language in SUPPORTED_LANGUAGES})
    detector.seed = 0
    detector.append(text)
    try:
        found = detector.get_probabilities()
    except LangDetectException:
        return {}
    return {p.lang: p.prob for p in found if p.lang in SUPPORTED_LANGUAGES}


def detect(text: str) -> Detection:
    """The message's language with a confidence, or (None, 0) when it has no words."""
    words = words_of(text)
    if not words:
        return Detection(None, 0.0)
    model = _domain_model()
    scores = dict(zip(model.classes_, model.predict_proba([_squeeze(" ".join(words))])[0]))
    if len(words) >= LONG_MESSAGE_WORDS:
        general = _langdetect(" ".join(words))
        scores = {language: (1 - LANGDETECT_WEIGHT) * score
                  + LANGDETECT_WEIGHT * general.get(language, 0.0)
                  for language, score in scores.items()}
    best = max(scores, key=scores.get)
    return Detection(best, float(scores[best]))


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
