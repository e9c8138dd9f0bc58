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
        "text\tintent\tpredicted_intent\tconfidence\tlang\tpredicted_lang\tentities"
        "\tpredicted_entities",
        "hola\tgreet\tgreet\t0.9000\tes\tes\t\t"]


ANNOTATED = ("text\tintent\tlang\tentities\n"
             "is 2026/0142 paid?\task_invoice_status\ten\tinvoice_number=2026/0142\n"
             "we sent $412.50 on 15.12.\task_payment_status\ten\tamount=$412.50;date=15.12.\n"
             "hi\tgreet\ten\n"
             "merci\tthank\tfr\t\n")


def test_a_fourth_column_annotates_entities_as_written(tmp_path):
    samples = read_samples(_file(tmp_path, ANNOTATED))
    assert [s.entities for s in samples] == [
        (("invoice_number", "2026/0142"),), (("amount", "$412.50"), ("date", "15.12.")), (), ()]
    assert read_samples(_file(tmp_path, "text\tintent\tlang\nhi\tgreet\ten\n"))[0].entities is None


@pytest.mark.parametrize("cell, problem", [
    ("invoice_number=9999", "line 2: '9999' is not written in the message"),
    ("colour=red", "line 2: 'colour=red' is not type=value"),
    ("invoice_number", "line 2: 'invoice_number' is not type=value"),
])
def test_a_bad_annotation_is_named_with_its_line(tmp_path, cell, problem):
    content = f"text\tintent\tlang\tentities\ninvoice 81234\task_invoice_status\ten\t{cell}\n"
    with pytest.raises(EvaluationFileError, match=problem):
        read_samples(_file(tmp_path, content))


def test_a_folder_stands_for_its_files(tmp_path):
    (tmp_path / "en.tsv").write_text(ANNOTATED, encoding="utf-8")
    (tmp_path / "fr.tsv").write_text("text\tintent\tlang\nsalut\tgreet\tfr\n", encoding="utf-8")
    assert [s.text for s in read_samples(tmp_path)][-1] == "salut"


def _with_entities(intent: str, *entities: tuple[str, int, int]) -> dict:
    return {"intent": {"name": intent, "confidence": 0.9},
            "entities": [{"entity": kind, "start": start, "end": end, "value": "normalised"}
                         for kind, start, end in entities]}


def test_entity_precision_and_recall_per_type_compare_the_text_as_written(tmp_path):
    samples = read_samples(_file(tmp_path, ANNOTATED))
    answers = {
        # right invoice number (the trailing "?" is trimmed away)
        "is 2026/0142 paid?": _with_entities("ask_invoice_status", ("invoice_number", 3, 13)),
        # the amount without its "$" is not the amount written; "15.12" is the date
        "we sent $412.50 on 15.12.": _with_entities("ask_payment_status", ("amount", 9, 15),
                                                    ("date", 19, 24)),
        # an entity where none is annotated costs precision
        "hi": _with_entities("greet", ("invoice_number", 0, 2)),
        "merci": _with_entities("thank", ("detected_language", 0, 5)),
    }
    report = evaluate(samples, answers.__getitem__)
    scores = report.entity_scores()
    assert (scores["invoice_number"].precision, scores["invoice_number"].recall) == (0.5, 1.0)
    assert (scores["amount"].precision, scores["amount"].recall) == (0.0, 0.0)
    assert (scores["date"].precision, scores["date"].recall) == (1.0, 1.0)
    assert (scores["all"].correct, scores["all"].annotated, scores["all"].predicted) == (2, 3, 4)
    assert "invoice_number     0.500 1.000  1 / 2" in report.summary()
    assert Targets(entity_precision=0.6, entity_recall=0.6).misses(report) == [
        "entity precision 0.500 is under the target 0.600"]


def test_entity_targets_without_annotations_fail_rather_than_pass():
    report = evaluate([Sample("hola", "greet", "es")], lambda t: _parse_result("greet", "es"))
    assert Targets(entity_recall=0.5).misses(report) == [
        "entity targets were given but no message has annotated entities"]
