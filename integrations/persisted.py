"""What our trainable Rasa components share: a scikit-learn pipeline kept in the model."""

from __future__ import annotations

from typing import Any, Optional

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from bot.conversation.text_features import quicken

FILE_NAME = "pipeline.joblib"


class PersistedPipelineComponent(GraphComponent):
    """Subclasses fit `self.pipeline` in train() and call `self.persist()`."""

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 pipeline: Optional[Any] = None):
        self._storage, self._resource, self.pipeline = model_storage, resource, pipeline

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "PersistedPipelineComponent":
        return cls(model_storage, resource)

    def persist(self) -> Resource:
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self.pipeline, directory / FILE_NAME)
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any
             ) -> "PersistedPipelineComponent":
        try:
            with model_storage.read_from(resource) as directory:
                pipeline = joblib.load(directory / FILE_NAME)
        except (ValueError, FileNotFoundError):
            pipeline = None  # not trained, e.g. a model trained without NLU data
        return cls(model_storage, resource, quicken(pipeline) if pipeline else None)
