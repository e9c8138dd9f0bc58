"""Replies as a customer reads them in Slack: escaped, links clickable, choices numbered,
long answers split into whole messages in reading order."""

from __future__ import annotations

from bot.messaging.slack_text import choices_offered, mrkdwn, slack_messages

PAY_LINK = "https://pay.example.com/pay?account=ACME-001&invoice=INV-2026-0101"


def test_slack_control_characters_are_escaped_so_text_shows_as_written():
    assert mrkdwn("Smith & Sons <AP> owe 5 > 4") == "Smith &amp; Sons &lt;AP&gt; owe 5 &gt; 4"


def test_a_link_stays_clickable_and_whole_even_before_punctuation():
    text = mrkdwn(f"Pay here: {PAY_LINK}. Thanks!")
    assert text == ("Pay here: <https://pay.example.com/pay?account=ACME-001"
                    "&amp;invoice=INV-2026-0101>. Thanks!")


def test_markdown_bold_becomes_slack_bold():
    assert mrkdwn("**INV-7731** is paid") == "*INV-7731* is paid"


def test_buttons_become_a_numbered_list_and_are_remembered_in_that_order():
    messages = [{"text": "What is the problem?", "buttons": [
        {"title": "Pricing", "payload": "/pricing"}, {"title": "Damaged", "payload": "/damaged"}]}]
    [text] = slack_messages(messages)
    assert text.splitlines()[:3] == ["What is the problem?", "1. Pricing", "2. Damaged"]
    assert choices_offered(messages) == [{"title": "Pricing", "payload": "/pricing"},
                                         {"title": "Damaged", "payload": "/damaged"}]


def test_a_turn_without_buttons_offers_no_choices():
    assert choices_offered([{"text": "Your balance is $10.00"}]) == []


def test_each_bot_message_is_its_own_slack_message_in_order():
    assert slack_messages([{"text": "first"}, {"text": "second"}, {"text": ""}]) == [
        "first", "second"]


def test_a_long_reply_is_split_whole_in_order_and_no_piece_is_over_the_limit():
    sentences = [f"Invoice INV-2026-{n:04d} is open for $1,{n:03d}.00." for n in range(300)]
    parts = slack_messages([{"text": " ".join(sentences)}], max_chars=500)
    assert len(parts) > 1
    assert all(len(part) <= 500 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(sentences)


def test_a_link_is_never_cut_when_a_reply_is_split():
    parts = slack_messages([{"text": ("word " * 30) + PAY_LINK}], max_chars=100)
    assert f"<{PAY_LINK.replace('&', '&amp;')}>" in parts

