"""The evaluation command's reading of files and its figures."""

from __future__ import annotations

import pytest

from bot.nlu.evaluation import EvaluationFileError, Sample, Targets, evaluate, read_samples


def _file(tmp_path, text: str):
    path = tmp_path / "set.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_a_tab_separated_file_with_the_exact_header(tmp_path):
    path = _file(tmp_path, "text\tintent\tlang\ncuál es mi saldo\task_balance\tes\n\n"
                           "merci\tthank\tfr\n")
    assert read_samples(path) == [Sample("cuál es mi saldo", "ask_balance", "es"),
                                  Sample("merci", "thank", "fr")]


@pytest.mark.parametrize("content, problem", [
    ("text,intent,lang\nhi,greet,en\n", "header"),
    ("text\tintent\tlang\nhi\tgreet\n", "line 2"),
    ("text\tintent\tlang\n", "no messages"),
])
def test_a_malformed_file_is_named_with_its_problem(tmp_path, content, problem):
    with pytest.raises(EvaluationFileError, match=problem):
        read_samples(_file(tmp_path, content))


def _parse_result(intent: str, language: str, confidence: float = 0.99) -> dict:
    return {"intent": {"name": intent, "confidence": 0.9},
            "entities": [{"entity": "detected_language", "value": language,
                          "confidence_entity": confidence}]}


def test_figures_count_intents_and_the_language_the_reply_would_be_in():
    samples = [Sample("hola", "greet", "es"), Sample("saldo pls", "ask_balance", "en"),
               Sample("wo ist meine rechnung", "ask_invoice_status", "de"),
               Sample("merci", "thank", "fr")]
    answers = {"hola": _parse_result("greet", "es"),
               "saldo pls": _parse_result("ask_balance", "es"),
               "wo ist meine rechnung": _parse_result("request_invoice_copy", "de"),
               "merci": _parse_result("thank", "fr")}
    report = evaluate(samples, answers.__getitem__)
    assert report.intent_accuracy == pytest.approx(0.75)
    assert report.language_accuracy == pytest.approx(0.75)
    # F1 per intent: greet 1, ask_balance 1, thank 1, ask_invoice_status 0.
    assert report.macro_f1 == pytest.approx(0.75)
    assert report.confusions() == [(("ask_invoice_status", "request_invoice_copy"), 1)]
    assert "ask_invoice_status -> request_invoice_copy: 1" in report.summary()
    assert Targets(0.8, 0.5, 0.5).misses(report) == [
        "intent accuracy 0.750 is under the target 0.800"]


def test_a_message_without_a_detected_language_is_answered_in_english():
    report = evaluate([Sample("12345", "ask_invoice_status", "en")],
                      lambda text: {"intent": {"name": "ask_invoice_status",
                                               "confidence": 0.8}, "entities": []})
    assert report.predictions[0].lang == "en"


def test_predictions_file_has_one_row_per_message(tmp_path):
    report = evaluate([Sample("hola", "greet", "es")], lambda t: _parse_result("greet", "es"))
    out = tmp_path / "out.tsv"
    report.write(out)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "text\tintent\tpredicted_intent\tconfidence\tlang\tpredicted_lang",
        "hola\tgreet\tgreet\t0.9000\tes\tes"]
