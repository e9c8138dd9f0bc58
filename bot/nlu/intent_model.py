"""The intent classifier: TF-IDF over words and character n-grams, and a linear SVM.

Measured against DIET on the held-out messages of five languages (README, "Choosing the
NLU pipeline"): more accurate on short, misspelt chat, trained in seconds instead of
half an hour on two cores, and faster per message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numpy as np

# Scores are turned into confidences with a softmax at this temperature; chosen so that a
# FallbackClassifier threshold of 0.4 catches uncertain guesses without rejecting good ones.
TEMPERATURE = 0.2
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_AMOUNT = re.compile(
    r"(?:[$€£]|r\$|us\$|chf)\s?\d[\d.,' ]*\d?"
    r"|\d[\d.,']*\s?(?:[$€£]|(?:usd|eur|gbp|chf|brl|euros?|dollars?|dólares|reais|pesos)\b)",
    re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
# Placeholders no language uses as a word.
AMOUNT_TOKEN, EMAIL_TOKEN = "qqamount", "qqemail"


def normalise(text: str) -> str:
    """Lower case, accents folded (customers drop them), e-mails, amounts and digits
    reduced to their shape: "Fáctura 30918 por 1.250,00 €" -> "factura 0 por qqamount"."""
    text = _EMAIL.sub(f" {EMAIL_TOKEN} ", text or "")
    text = _AMOUNT.sub(f" {AMOUNT_TOKEN} ", text)
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _DIGITS.sub("0", text)


@dataclass(frozen=True)
class Ranked:
    intent: str
    confidence: float


class IntentModel:
    """Fit on (text, intent) pairs; rank intents for a new text."""

    def __init__(self, pipeline=None):
        self.pipeline = pipeline

    @staticmethod
    def _new_pipeline():
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline, make_union
        from sklearn.svm import LinearSVC

        features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True),
        )
        return make_pipeline(features, LinearSVC(C=1.0))

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> "IntentModel":
        if len(set(intents)) < 2:
            raise ValueError("the intent classifier needs examples of at least two intents")
        self.pipeline = self._new_pipeline().fit([normalise(t) for t in texts], list(intents))
        return self

    def rank(self, texts: Sequence[str]) -> list[list[Ranked]]:
        scores = np.atleast_2d(self.pipeline.decision_function([normalise(t) for t in texts]))
        if scores.shape[1] == 1:  # two intents: one signed score
            scores = np.hstack([-scores, scores])
        scaled = np.exp((scores - scores.max(axis=1, keepdims=True)) / TEMPERATURE)
        confidences = scaled / scaled.sum(axis=1, keepdims=True)
        classes = self.pipeline.classes_
        return [[Ranked(str(classes[i]), float(row[i])) for i in np.argsort(-row)]
                for row in confidences]
