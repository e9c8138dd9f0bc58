"""Graphs run without dask (integrations/rasa_graph_runner.py) give what dask gives: the
trained model's readings of messages and its predictions in conversations, and the
order, inputs and errors of a graph of our own."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from integrations import rasa_graph_runner
from integrations.rasa_graph_runner import node_order

DASK_RUN = DaskGraphRunner.run
MESSAGES = ["what's our balance?", "hola, cuánto debemos?", "send me a copy of INV-4502",
            "we want a payment plan", "Kontoauszug bitte", "ok", "🙂", "",
            "can u send the last invoice and whats our balnce"]


@pytest.fixture(scope="module")
def agent(trained_model):
    return Agent.load(str(trained_model))


def with_runner(run, work):
    saved = DaskGraphRunner.run
    DaskGraphRunner.run = run
    try:
        return asyncio.run(work())
    finally:
        DaskGraphRunner.run = saved


def test_the_models_readings_are_dasks(agent):
    async def readings():
        return [await agent.parse_message(text) for text in MESSAGES]

    ours = with_runner(rasa_graph_runner._run, readings)
    assert ours == with_runner(DASK_RUN, readings)
    assert ours[0]["intent"]["name"] == "ask_balance"


def test_the_models_predictions_are_dasks(agent):
    domain = agent.domain
    events = [ActionExecuted("action_listen"),
              UserUttered("we want a payment plan", {"name": "request_payment_plan",
                                                     "confidence": 1.0}),
              SlotSet("language", "en")]

    async def predictions():
        found = []
        for end in range(1, len(events) + 1):
            tracker = DialogueStateTracker.from_events("+14155550101", events[:end],
                                                       domain.slots)
            prediction = agent.processor._predict_next_with_tracker(tracker)
            found.append((prediction.max_confidence_index, prediction.policy_name,
                          prediction.probabilities))
        return found

    ours = with_runner(rasa_graph_runner._run, predictions)
    assert ours == with_runner(DASK_RUN, predictions)


RUNS: list[str] = []  # the nodes of our graph as they ran


class Summing(GraphComponent):
    """A node of our graph: sums what it is given (the total adds one)."""

    @classmethod
    def create(cls, config, model_storage, resource, execution_context):
        return cls(config["name"])

    def __init__(self, name):
        self.name = name

    def add(self, **values):
        RUNS.append(self.name)
        return sum(values.values()) + (1 if self.name == "total" else 0)


def node(needs: dict, name: str) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Summing, fn="add", constructor_name="create",
                      config={"name": name}, eager=True, is_target=name == "total")


def schema() -> GraphSchema:
    return GraphSchema({"left": node({"value": "__number__"}, "left"),
                        "right": node({"value": "__number__"}, "right"),
                        "total": node({"a": "left", "b": "right"}, "total"),
                        "unused": node({"value": "__number__"}, "unused")})


def runner(tmp_path) -> DaskGraphRunner:
    return DaskGraphRunner(schema(), LocalModelStorage(tmp_path),
                           ExecutionContext(schema(), "test"))


def test_a_graph_runs_each_needed_node_once_after_what_it_needs(tmp_path):
    graph = runner(tmp_path)
    assert node_order(graph._graph_schema, ["total"]) == ("left", "right", "total")
    RUNS.clear()
    assert rasa_graph_runner._run(graph, {"__number__": 2}, ["total"]) == {"total": 5}
    assert RUNS == ["left", "right", "total"]
    assert rasa_graph_runner._run(graph, {"__number__": 3}) \
        == DASK_RUN(graph, {"__number__": 3}) == {"total": 7}


def test_a_missing_input_and_an_input_named_as_a_node_fail_as_under_dask(tmp_path):
    graph = runner(tmp_path)
    for run in (rasa_graph_runner._run, DASK_RUN):
        with pytest.raises(GraphRunError, match="Missing input"):
            run(graph, {}, ["total"])
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run(graph, {"__number__": "left"}, ["total"])


def test_a_cycle_is_refused():
    looped = GraphSchema({"a": node({"x": "b"}, "a"), "b": node({"x": "a"}, "b")})
    with pytest.raises(GraphRunError, match="cycle"):
        node_order(looped, ["a"])
