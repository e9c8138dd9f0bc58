"""The rooms of bot/: every import points down the layers, and the core stays free of the
frameworks at the edges. Read from the source (ast), so a lazy import inside a function
counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
GROUND = {"bot.settings", "bot.db", "bot.clock", "bot.languages"}
# A room may import the rooms below it and itself, never one above or beside on its level.
LAYERS = {
    "ledger": 1,
    "conversation": 2,
    "observability": 2,
    "requests": 3, "messaging": 3, "nlu": 3,
    "console": 3,
    "documents": 4, "handoff": 4,
    "runtime": 5,
    "bench": 6,  # drives the whole assistant from outside: it starts runtime's servers
}
FRAMEWORKS = ("rasa", "rasa_sdk", "twilio", "slack_sdk", "slack_bolt")
EDGES = ("actions", "integrations", "tests")
# The command line is the composition root: it alone may wire an edge (a Rasa model) in.
WIRES_EDGES = {"bot.runtime.cli": {"integrations.rasa_model"}}
# ...and the one command whose room sits above runtime (the benchmark starts runtime's servers).
WIRES_UP = {"bot.runtime.cli": {"bot.bench.command"}}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "bot":
                found.update(f"bot.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return found


def room_of(module: str) -> str:
    """'ground', a room name, or 'bot' for bot/__main__."""
    if module in GROUND:
        return "ground"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "bot"


def rank(room: str) -> int:
    return {"ground": 0, "bot": 99}.get(room, LAYERS.get(room, -1))


BOT_MODULES = sorted(BOT.rglob("*.py"))


def test_every_module_lives_in_a_room_or_on_the_ground():
    loose = [module_name(p) for p in BOT_MODULES
             if p.parent == BOT and module_name(p) not in GROUND | {"bot", "bot.__main__"}]
    assert loose == []
    rooms = {p.name for p in BOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms == set(LAYERS)


@pytest.mark.parametrize("path", BOT_MODULES, ids=lambda p: module_name(p))
def test_imports_point_down(path):
    here = module_name(path)
    room = room_of(here)
    project = {m for m in imported_modules(path) if m == "bot" or m.startswith("bot.")}
    if room == "ground":
        assert project == set(), f"{here} is ground and imports {project}"
        return
    upward = sorted(m for m in project - WIRES_UP.get(here, set())
                    if room_of(m) != room and rank(room_of(m)) >= rank(room))
    assert upward == [], f"{here} ({room}) imports {upward}"


@pytest.mark.parametrize("path", sorted(BOT.rglob("*.py")), ids=lambda p: module_name(p))
def test_core_imports_no_framework_and_no_edge(path):
    allowed = WIRES_EDGES.get(module_name(path), set())
    banned = sorted(m for m in imported_modules(path) - allowed
                    if m.split(".")[0] in FRAMEWORKS + EDGES)
    assert banned == [], f"{module_name(path)} imports {banned}"


def test_every_package_says_its_job_in_one_line():
    for init in BOT.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and "\n" not in doc.strip(), f"{init} needs a one-line docstring"


def test_the_checker_sees_an_upward_import(tmp_path):
    """The walk itself: a ledger module importing a request module is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from bot.requests.plans import x\n    from bot import sms\n")
    assert imported_modules(bad) == {"bot.requests.plans", "bot.sms"}
    assert rank(room_of("bot.requests.plans")) > rank(room_of("bot.ledger.models"))
