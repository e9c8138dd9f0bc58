"""Which language a message is in, and which one the conversation answers in."""

from __future__ import annotations

import pytest

from bot.conversation.language_detection import Detection, LanguageModel, choose_language


@pytest.fixture(scope="module")
def detector() -> LanguageModel:
    return LanguageModel.from_training_data()


@pytest.mark.parametrize("text, language", [
    ("cn u resend the march inv", "en"),
    ("cuál es mi saldo", "es"),
    ("wir brauchen eine Rechnungskopie", "de"),
    ("vous pouvez m'envoyer le relevé de compte", "fr"),
    ("qual é o nosso saldo em aberto", "pt"),
    ("vale", "es"),
    ("obg", "pt"),
])
def test_detects_short_business_messages(detector, text, language):
    assert detector.detect(text).language == language


def test_a_message_without_words_has_no_language(detector):
    assert detector.detect("30918 🙂 !!").language is None


def test_a_short_reply_keeps_the_language_of_the_conversation():
    for text in ("ok", "vale", "jawohl", "sim obrigado"):
        assert choose_language(text, Detection("en", 0.99), previous="de",
                               preferred=None) == "de"


def test_a_confident_longer_message_switches_the_language():
    assert choose_language("en fait je préfère en français", Detection("fr", 0.97),
                           previous="en", preferred="en") == "fr"


def test_an_unsure_detection_keeps_the_conversation_then_the_preference():
    unsure = Detection("pt", 0.41)
    assert choose_language("saldo de la cuenta hoy", unsure, previous="es",
                           preferred="en") == "es"
    assert choose_language("saldo de la cuenta hoy", unsure, previous=None,
                           preferred="es") == "es"


def test_a_first_short_message_uses_the_detection_or_the_stored_preference():
    assert choose_language("hola", Detection("es", 0.9), previous=None, preferred=None) == "es"
    assert choose_language("ok", Detection("en", 0.5), previous=None, preferred="de") == "de"
    assert choose_language("🙂", Detection(None, 0.0), previous=None, preferred=None) == "en"


def test_an_explicit_request_wins_over_everything():
    assert choose_language("can we do this in German?", Detection("en", 0.99),
                           previous="en", preferred="es", requested="de") == "de"
    assert choose_language("in Klingon please", Detection("en", 0.99), previous="en",
                           preferred=None, requested="tlh") == "en"


def test_intent_text_is_normalised_to_its_shape():
    from bot.nlu.intent_model import normalise

    assert normalise("Fáctura 30918 por 1.250,00 €") == "factura 0 por  qqamount "
    assert "qqemail" in normalise("send it to ap@acme.com")
    assert normalise("what amount") == "what amount"
