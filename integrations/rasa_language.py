"""A Rasa NLU component that tags each message with the language it is written in."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.conversation.language_detection import LanguageModel
from integrations.persisted import PersistedPipelineComponent

ENTITY = "detected_language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class LanguageDetector(PersistedPipelineComponent):
    """Adds a `detected_language` entity (value: en/es/fr/de/pt, with its confidence).

    Trained with the model from data/nlu/<language>/ (the folder names the language). The
    conversation's language is decided from it, with the conversation's context, by the
    Rasa server (integrations/rasa_language_slot.py) before any response is chosen.
    """

    def train(self, training_data: TrainingData) -> Resource:
        self.pipeline = LanguageModel.from_training_data().pipeline
        return self.persist()

    def process(self, messages: list[Message]) -> list[Message]:
        if self.pipeline is None:
            return messages
        model = LanguageModel(self.pipeline)
        for message in messages:
            text = message.get(TEXT) or ""
            found = model.detect(text)
            if found.language is None:
                continue
            entity = {"entity": ENTITY, "value": found.language, "start": 0, "end": len(text),
                      "confidence_entity": round(found.confidence, 3),
                      "extractor": self.__class__.__name__}
            message.set(ENTITIES, message.get(ENTITIES, []) + [entity], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
