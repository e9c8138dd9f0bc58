"""Several questions in one message are each answered, the intent model's first."""

from bot.requests.more_questions import answer_order


def test_balance_payment_and_statement_in_one_text_are_all_answered():
    assert answer_order("ask_payment_status", "what do we owe, has wire-77120 been received, "
                        "and pls email me a statement") == [
        "ask_payment_status", "ask_balance", "request_statement"]


def test_one_question_is_only_itself():
    assert answer_order("ask_invoice_status", "is invoice 4471 paid?") == ["ask_invoice_status"]
    assert answer_order("ask_balance", "what's our total balance?") == ["ask_balance"]


def test_an_invoice_status_needs_an_invoice_number():
    assert answer_order("ask_balance", "what's our balance and is it all paid?") == ["ask_balance"]


def test_a_copy_asked_for_beside_a_mistyped_balance_is_answered_too():
    text = "whats our balnce? also can u send me a copy of the last invoice"
    assert answer_order("request_invoice_copy", text) == ["request_invoice_copy", "ask_balance"]
    assert answer_order("ask_balance", text) == ["ask_balance", "request_invoice_copy"]


def test_long_words_mistyped_by_one_letter_still_ask_and_short_look_alikes_do_not():
    assert answer_order("ask_invoice_status", "is 4471 paid, and our outstandng?") == [
        "ask_invoice_status", "ask_balance"]
    assert answer_order("ask_balance", "our balance, and a statment pls") == [
        "ask_balance", "request_statement"]
    assert answer_order("ask_balance", "balance please, and thanks for the sole trader help"
                        ) == ["ask_balance"]
    assert answer_order("ask_balance", "balance please, and what about the ballet") == [
        "ask_balance"]
