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
