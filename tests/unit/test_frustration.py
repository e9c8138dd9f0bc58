"""Frustration detection: rules that name what they found, a model that must be sure on its
own, calm business messages left alone, in the five languages."""

from __future__ import annotations

import re

import pytest

from bot.handoff.frustration import sounds_frustrated
from bot.runtime.cli import main


@pytest.mark.parametrize("text,why", [
    ("this is the third time I ask about INV-2026-0142", "repeated asks"),
    ("¿cuántas veces tengo que decirlo?", "repeated asks"),
    ("si no lo arreglan dejaremos de pagar", "threat to stop paying or go legal"),
    ("je vais contacter notre avocat", "threat to stop paying or go legal"),
    ("Das ist eine Frechheit!", "anger"),
    ("isso é ridículo", "anger")])
def test_a_rule_names_what_it_found(text, why):
    verdict = sounds_frustrated(text)
    assert verdict.frustrated and verdict.why == why


@pytest.mark.parametrize("text", [
    "can you send invoice 0142 again?", "podemos pagar en tres cuotas?",
    "Pouvons-nous payer en trois fois ?", "Bitte die Rechnung noch einmal senden",
    "obrigado, é só isso", "", "👍"])
def test_calm_requests_are_left_alone(text):
    assert not sounds_frustrated(text).frustrated


def test_the_command_prints_precision_and_recall_per_language_and_fails_under_target(
        tmp_path, capsys):
    sample = tmp_path / "en.tsv"
    sample.write_text("text\tfrustrated\tlang\nthis is ridiculous\t1\ten\n"
                      "send the statement please\t1\ten\nthanks\t0\ten\n", encoding="utf-8")
    assert main(["eval-frustration", str(sample)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^en +3 +2 +1.000 +0.500$", printed, re.MULTILINE)
    assert "missed (en): send the statement please" in printed
    assert main(["eval-frustration", str(sample), "--min-recall", "0.9"]) == 1
    assert main(["eval-frustration", str(tmp_path / "missing.tsv")]) == 2
