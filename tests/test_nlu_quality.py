"""The issue's targets, measured by the README's command on held-out messages that were
never trained on: tests/heldout (the project's own) and tests/heldout_blind (written by
someone who never saw the training data)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

INTENT_TARGETS = {"--min-intent-accuracy": "0.95", "--min-macro-f1": "0.93",
                  "--min-language-accuracy": "0.99"}
# Entity precision and recall over every annotated type together (eval-nlu prints them per
# type), just under what the model measured on each set (README, "Measured").
ENTITY_TARGETS = {
    "heldout": {"--min-entity-precision": "0.89", "--min-entity-recall": "0.77"},
    "heldout_blind": {"--min-entity-precision": "0.94", "--min-entity-recall": "0.76"},
}
# A set added later (tests/heldout_entities, ...) is held to the lower of the two.
DEFAULT_ENTITY_TARGETS = {
    flag: min((targets[flag] for targets in ENTITY_TARGETS.values()), key=float)
    for flag in ("--min-entity-precision", "--min-entity-recall")}


def _intent_set(folder: Path) -> bool:
    """An NLU held-out set (text, intent, lang[, entities]); not, e.g., the frustration set."""
    return any(open(f, encoding="utf-8").readline().split("\t")[1:2] == ["intent"]
               for f in folder.glob("*.tsv"))


HELD_OUT_SETS = sorted(p.name for p in (PROJECT_ROOT / "tests").glob("heldout*")
                       if p.is_dir() and _intent_set(p))


def _annotated(files: list[str]) -> bool:
    return all(open(f, encoding="utf-8").readline().rstrip("\n").split("\t")[3:] == ["entities"]
               for f in files)


def test_every_held_out_set_is_measured():
    assert {"heldout", "heldout_blind"} <= set(HELD_OUT_SETS)


@pytest.mark.parametrize("held_out", HELD_OUT_SETS)
def test_held_out_messages_meet_the_accuracy_targets(held_out, trained_model, tmp_path):
    files = sorted(str(p) for p in (PROJECT_ROOT / "tests" / held_out).glob("*.tsv"))
    assert len(files) == 5, "one file per language"
    predictions = tmp_path / "predictions.tsv"
    targets = dict(INTENT_TARGETS)
    if _annotated(files):
        targets.update(ENTITY_TARGETS.get(held_out, DEFAULT_ENTITY_TARGETS))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "eval-nlu", str(PROJECT_ROOT / "tests" / held_out),
         "--model", str(trained_model), "--out", str(predictions),
         *[part for pair in targets.items() for part in pair]],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "intent accuracy" in result.stdout and "language accuracy" in result.stdout
    rows = predictions.read_text(encoding="utf-8").splitlines()
    assert rows[0] == ("text\tintent\tpredicted_intent\tconfidence\tlang\tpredicted_lang"
                       "\tentities\tpredicted_entities")
    assert {row.split("\t")[4] for row in rows[1:]} == {"en", "es", "fr", "de", "pt"}
    if held_out in ENTITY_TARGETS:
        # The project's own sets are annotated, and their figures are printed per type.
        assert _annotated(files)
        for kind in ("invoice_number", "payment_reference", "account_number", "amount",
                     "date", "instalments"):
            assert f"\n  {kind} " in result.stdout


ENTITY_EXAMPLES = [
    ("en", "the invoice inv#7731 was billed twice", {"dispute_reason": "duplicate"}),
    ("en", "please send it to ap.team@acme.com by whatsapp",
     {"email": "ap.team@acme.com", "channel": "whatsapp"}),
    ("es", "quiero pagar la factura 30918 el lunes, son 1.250,00 €",
     {"invoice_number": "30918", "date": "el lunes", "amount": "1.250,00 €"}),
    ("de", "wir zahlen 3.400 CHF Anfang nächster Woche für Rechnung Nr. 4711",
     {"amount": "3.400 CHF", "date": "Anfang nächster Woche", "invoice_number": "4711"}),
    ("de", "können wir auf Deutsch weiterschreiben?", {"language": "de"}),
    ("fr", "je conteste la facture FAC-2025-0117, le prix est faux",
     {"invoice_number": "FAC-2025-0117", "dispute_reason": "pricing"}),
    ("pt", "podemos parcelar em 4 vezes?", {"instalments": "4"}),
    ("pt", "segunda via da fatura 8812 por e-mail", {"invoice_number": "8812"}),
]


@pytest.fixture(scope="module")
def parse(trained_model):
    from integrations.rasa_model import model_parser

    return model_parser(trained_model)


@pytest.mark.parametrize("language, text, expected", ENTITY_EXAMPLES)
def test_entities_are_found_in_every_language(parse, language, text, expected):
    entities = parse(text)["entities"]
    found = {name: {e["value"] for e in entities if e["entity"] == name} for name in expected}
    assert {name: value for name, value in expected.items()
            if value not in found[name]} == {}, entities
    assert next(e["value"] for e in entities if e["entity"] == "detected_language") == language
