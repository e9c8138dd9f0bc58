"""The Rasa project itself: its data validates, and every test story is predicted."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from bot.settings import PROJECT_ROOT

# The actions, and the handoff relay, which tells customers when a person joins or leaves.
ACTIONS_SOURCE = "\n".join(p.read_text() for p in [*(PROJECT_ROOT / "actions").glob("*.py"),
                                                   PROJECT_ROOT / "integrations" / "handoff_desk.py"])
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
FORM_QUESTIONS = {f"utter_ask_{slot}" for form in DOMAIN["forms"].values()
                  for slot in form["required_slots"]}


def _rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rasa", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_rasa_data_validates_without_warnings_other_than_responses_actions_use():
    result = _rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if "UserWarning" in line]
    unused = set(re.findall(r"The utterance '(\w+)' is not used in any story or rule", output))
    # A response used only inside an action is fine, if an action really uses it.
    not_in_actions = {u for u in unused if not _used_by_an_action(u)}
    assert not not_in_actions, f"responses nothing uses: {sorted(not_in_actions)}"
    other = [w for w in warnings if "is not used in any story or rule" not in w]
    assert not other, other


def _used_by_an_action(response: str) -> bool:
    if response in FORM_QUESTIONS or f'"{response}"' in ACTIONS_SOURCE:
        return True
    # Responses picked by name, like f"utter_plan_reason_{reason}".
    return any(response.startswith(prefix) for prefix in
               re.findall(r'f"(utter_[a-z_]+)\{', ACTIONS_SOURCE))


def test_every_response_named_by_an_action_exists_in_the_domain():
    responses = DOMAIN["responses"]
    named = set(re.findall(r'"(utter_[a-z_0-9]+)"', ACTIONS_SOURCE))
    assert named - set(responses) == set()


def test_every_test_story_is_predicted(trained_model, tmp_path):
    result = _rasa("test", "core", "--model", str(trained_model), "--stories",
                   "tests/stories", "--fail-on-prediction-errors", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    failed = (tmp_path / "failed_test_stories.yml")
    assert not failed.exists() or "story:" not in failed.read_text()


def _variations_by_language(variations: list[dict]) -> dict[str, list[dict]]:
    """English is the variation without a condition; the others name their language."""
    found: dict[str, list[dict]] = {}
    for variation in variations:
        conditions = variation.get("condition") or []
        language = next((c["value"] for c in conditions if c.get("name") == "language"), "en")
        found.setdefault(language, []).append(variation)
    return found


def test_every_response_speaks_all_five_languages_with_the_same_placeholders():
    from bot.languages import SUPPORTED_LANGUAGES

    problems = []
    for name, variations in DOMAIN["responses"].items():
        by_language = _variations_by_language(variations)
        missing = set(SUPPORTED_LANGUAGES) - set(by_language)
        if missing:
            problems.append(f"{name} lacks {sorted(missing)}")
            continue
        placeholders = {language: {p for v in vs for p in re.findall(r"\{(\w+)\}", v["text"])}
                        for language, vs in by_language.items()}
        if len({frozenset(p) for p in placeholders.values()}) > 1:
            problems.append(f"{name} fills different placeholders per language: {placeholders}")
    assert not problems, "\n".join(problems)
