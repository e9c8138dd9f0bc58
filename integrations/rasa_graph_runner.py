"""Rasa's graph runs without dask. For every message Rasa runs its NLU graph once and its
policy graph once per action predicted, through `DaskGraphRunner.run`: each run builds a
smaller schema for the targets, a dask graph from it, and hands that to dask's
synchronous scheduler, which orders the nodes again. All of it is the same every time;
it was about a tenth of a Rasa worker's time (README, "Speed").

Here the order of the nodes a set of targets needs is worked out once, and each run
calls the same GraphNode objects in it with what dask would have passed them: every
node the (name, output) of each node or input it needs, a name nothing provides as
the bare name (GraphNode then says what is missing, as under dask).
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner


def node_order(schema: GraphSchema, targets: list[str]) -> tuple[str, ...]:
    """The nodes the targets need, each after every node it needs (depth first, as
    dask's results would be), each once."""
    ordered: list[str] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...] = ()) -> None:
        if name in placed or name not in schema.nodes:
            return  # done, or an input placeholder (filled in by `run`)
        if name in path:
            raise GraphRunError(f"The graph has a cycle through '{name}'.")
        for need in schema.nodes[name].needs.values():
            place(need, path + (name,))
        placed.add(name)
        ordered.append(name)

    for target in targets:
        place(target)
    return tuple(ordered)


def _run(self: DaskGraphRunner, inputs: Optional[dict[str, Any]] = None,
         targets: Optional[list[str]] = None) -> dict[str, Any]:
    run_targets = list(targets) if targets else self._graph_schema.target_names
    plans = self.__dict__.setdefault("_ar_plans", {})
    key = tuple(run_targets)
    if key not in plans:
        plans[key] = tuple(
            (name, self._instantiated_nodes[name],
             tuple(self._graph_schema.nodes[name].needs.values()))
            for name in node_order(self._graph_schema, run_targets))
    results: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in self._graph_schema.nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of "
                f"the input names passed to the `run` method are the same as node names "
                f"in the graph schema.")
        results[name] = (name, value)
    try:
        for name, node, needs in plans[key]:
            results[name] = node(*(results.get(need, need) for need in needs))
    except RuntimeError as error:  # as DaskGraphRunner.run
        raise GraphRunError("Error running runner.") from error
    return dict(results[target] for target in run_targets)


def install() -> None:
    """Every DaskGraphRunner of this process runs its graphs as above."""
    DaskGraphRunner.run = _run
