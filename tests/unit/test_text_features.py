"""TF-IDF features without scikit-learn's per-call checks (bot/conversation/text_features.py)
are the very numbers scikit-learn works out, so every model decides as it did."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from bot.conversation.language_detection import LanguageModel
from bot.conversation.text_features import _vectorizers, quicken
from bot.handoff.frustration import FrustrationDetector

MESSAGES = ["what's our balance?", "¿cuánto debemos?", "Wir haben INV-2026-0101 bezahlt",
            "THIS IS THE THIRD TIME I ASK 😡😡", "", "ok", "a" * 3000,
            "merci, la facture F-2026-551 est réglée", "pode enviar a fatura 30918?"]


def as_scikit_learn_made_it(pipeline):
    for vectorizer in _vectorizers(pipeline):
        vars(vectorizer).pop("transform", None)  # the class's own method again
    return pipeline


@pytest.fixture(scope="module")
def pipelines():
    return {"language": LanguageModel.from_training_data().pipeline,
            "frustration": as_scikit_learn_made_it(FrustrationDetector().model)}


@pytest.mark.parametrize("name", ["language", "frustration"])
def test_the_features_and_the_decisions_are_scikit_learns(pipelines, name):
    plain = pipelines[name]
    assert not [v for v in _vectorizers(plain) if "transform" in vars(v)]
    quick = quicken(copy.deepcopy(plain))
    assert len([v for v in _vectorizers(quick) if "transform" in vars(v)]) == 2
    features, quick_features = plain[0], quick[0]
    assert np.allclose(features.transform(MESSAGES).toarray(),
                       quick_features.transform(MESSAGES).toarray())
    assert np.allclose(plain.predict_proba(MESSAGES), quick.predict_proba(MESSAGES))
    assert list(plain.predict(MESSAGES)) == list(quick.predict(MESSAGES))
