"""What the review inbox writes is real training data: `rasa data validate
--fail-on-warnings` accepts the project's data with the console's reviewed.yml files in
it, and a conversation becomes a test story Rasa can read."""

from __future__ import annotations

import shutil
import subprocess
import sys

import yaml
from sqlalchemy import select

from bot.console.indexer import TranscriptIndex
from bot.console.models import IndexedConversation, IndexedMessage
from bot.console.reviews import (Vocabulary, parse_entities, record_verdict, write_test_story,
                                 write_training_data)
from bot.settings import PROJECT_ROOT
from tests import console_data
from tests.console_data import TrackerWriter, at

TRICKY = "[urgent] 💸 we'll pay 2,000 on friday (promise)\nthanks"


def test_reviewed_messages_become_data_rasa_validates_and_a_test_story(tmp_path):
    database, tracker_url = console_data.build(tmp_path)
    TrackerWriter(tracker_url).turn("web-c7", at("2026-11-23", "09:00"), TRICKY, "nlu_fallback",
                                    0.2, "webchat", "en", [("action_default_fallback", ["Sorry?"])])
    index = TranscriptIndex(database, tracker_url, 0.6)
    index.refresh()
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", data)
    vocabulary = Vocabulary.from_domain()
    with database.session() as session:
        by_text = {m.text: m for m in session.scalars(select(IndexedMessage).where(
            IndexedMessage.speaker == "customer"))}
        record_verdict(session, by_text[TRICKY], "promise_to_pay",
                       parse_entities(TRICKY, "amount=2,000; date=friday", vocabulary), "maya", vocabulary)
        record_verdict(session, by_text["blorf zzz quux"], "out_of_scope", [], "maya", vocabulary)
        c2 = by_text["precio incorrecto"]
        record_verdict(session, c2, c2.intent, c2.entities, "maya", vocabulary)  # a synonym value
        # already in the training data under its intent: left out, no duplicate
        record_verdict(session, by_text["hello"], "greet", [], "maya", vocabulary)
        written = write_training_data(session, data / "nlu")
        conversation = session.scalars(select(IndexedConversation).where(
            IndexedConversation.conversation_id == "web-c2")).one()
        story = write_test_story(session, conversation, tmp_path / "stories", "maya")
    assert sorted(written) == ["en", "es"]
    en = yaml.safe_load(written["en"].read_text())["nlu"]
    assert {"intent": "promise_to_pay", "examples":
            "- (urgent) 💸 we'll pay [2,000](amount) on [friday](date) (promise) thanks\n"} in en
    assert "hello" not in written["en"].read_text()
    assert '[precio]{"entity": "dispute_reason", "value": "pricing"}' in written["es"].read_text()
    steps = yaml.safe_load(story.read_text())["stories"][0]["steps"]
    assert steps[:2] == [{"user": "quiero disputar la factura [F-2026-551](invoice_number)",
                          "intent": "open_dispute"}, {"action": "action_start_dispute"}]

    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--fail-on-warnings",
         "--data", str(data), "--domain", str(PROJECT_ROOT / "domain.yml"),
         "--config", str(PROJECT_ROOT / "config.yml")],
        cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    stories = subprocess.run(
        [sys.executable, "-c", "import sys; from rasa.shared.core.training_data.story_reader."
         "yaml_story_reader import YAMLStoryReader; from rasa.shared.core.domain import Domain; "
         "steps = YAMLStoryReader(Domain.load(sys.argv[1])).read_from_file(sys.argv[2]); "
         "print(len(steps[0].events))", str(PROJECT_ROOT / "domain.yml"), str(story)],
        capture_output=True, text=True, timeout=300)
    assert stories.returncode == 0 and int(stories.stdout.strip()) >= 4, stories.stderr[-2000:]
