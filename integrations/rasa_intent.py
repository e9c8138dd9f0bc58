"""A Rasa intent classifier around bot.nlu.intent_model (TF-IDF and a linear SVM)."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_model import IntentModel
from integrations.persisted import PersistedPipelineComponent

RANKING_LENGTH = 10


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(PersistedPipelineComponent):
    """Classifies the raw text; needs no featurizer before it."""

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        self.pipeline = IntentModel().fit([m.get(TEXT) for m in examples],
                                          [m.get(INTENT) for m in examples]).pipeline
        return self.persist()

    def process(self, messages: list[Message]) -> list[Message]:
        if self.pipeline is None:
            return messages
        rankings = IntentModel(self.pipeline).rank([m.get(TEXT) or "" for m in messages])
        for message, ranking in zip(messages, rankings):
            ranked = [{INTENT_NAME_KEY: r.intent, "confidence": r.confidence}
                      for r in ranking[:RANKING_LENGTH]]
            message.set(INTENT, ranked[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranked, add_to_output=True)
        return messages
