"""The multi-turn conversation corpus (tests/conversations/, held-out part included), played
over SMS, WhatsApp and web chat against the real servers: every conversation must end in
the right ledger state with the right figures in its replies."""

from __future__ import annotations

import pytest

from tests.conversations.runner import HERE, load, report, run

pytestmark = pytest.mark.servers


def test_the_corpus_covers_five_languages_and_three_channels():
    conversations = load([HERE])
    channels = {c.spec.get("channel", "sms") for c in conversations}
    assert channels == {"sms", "whatsapp", "webchat"}
    languages = {c.file.stem.split("_")[0] for c in conversations if "heldout" not in c.file.parts}
    assert {"en", "es", "fr", "de", "pt"} <= languages


def test_every_conversation_of_the_corpus_ends_right(trained_model, tmp_path):
    results = run([HERE], trained_model, tmp_path)
    print(report(results))
    assert results and all(r.passed for r in results), report(results)
