"""Fitted TF-IDF features worked out for one message at a time without scikit-learn's
per-call bookkeeping. For every message, TfidfTransformer.transform checks that it is
fitted by reading `idf_`, a property that sums its whole idf matrix, and the vectorizer
walks its own attributes for the same check: together a twentieth of the Rasa server's
time under load (the intent, language and frustration models each have two). The
features are the same numbers (tests/unit/test_text_features.py)."""

from __future__ import annotations

from types import MethodType
from typing import Any

import numpy as np


def _transform(vectorizer, raw_documents):
    """TfidfVectorizer.transform (scikit-learn 1.1) for a fitted vectorizer."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    counts = CountVectorizer.transform(vectorizer, raw_documents)
    weights = vectorizer._tfidf
    features = counts.astype(np.float64)
    if weights.sublinear_tf:
        np.log(features.data, features.data)
        features.data += 1
    if weights.use_idf:
        features = features * weights._idf_diag
    if weights.norm:
        features = normalize(features, norm=weights.norm, copy=False)
    return features


def _vectorizers(step: Any):
    from sklearn.feature_extraction.text import TfidfVectorizer

    if isinstance(step, TfidfVectorizer):
        yield step
    for _name, inner in getattr(step, "steps", []) + getattr(step, "transformer_list", []):
        yield from _vectorizers(inner)


def quicken(pipeline: Any) -> Any:
    """The fitted pipeline, its TF-IDF vectorizers answering without the checks. For
    serving only: a quickened pipeline is not saved again (the method is the instance's)."""
    for vectorizer in _vectorizers(pipeline):
        vectorizer.transform = MethodType(_transform, vectorizer)
    return pipeline
