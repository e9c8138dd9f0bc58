"""A Rasa intent classifier around bot.intent_model (TF-IDF and a linear SVM)."""

from __future__ import annotations

from typing import Any, Optional

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.intent_model import IntentModel

FILE_NAME = "intent_model.joblib"
RANKING_LENGTH = 10


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(GraphComponent):
    """Classifies the raw text; needs no featurizer before it."""

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 model: Optional[IntentModel] = None):
        self._storage, self._resource, self._model = model_storage, resource, model

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfIntentClassifier":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        self._model = IntentModel().fit([m.get(TEXT) for m in examples],
                                        [m.get(INTENT) for m in examples])
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self._model.pipeline, directory / FILE_NAME)
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                model = IntentModel(joblib.load(directory / FILE_NAME))
        except (ValueError, FileNotFoundError):
            model = None  # not trained (e.g. a core-only model)
        return cls(model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        for message, ranking in zip(messages, self._model.rank(texts)):
            ranked = [{INTENT_NAME_KEY: r.intent, "confidence": r.confidence}
                      for r in ranking[:RANKING_LENGTH]]
            message.set(INTENT, ranked[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranked, add_to_output=True)
        return messages
