"""Rasa NLU component that lets the intent classifier see Vietnamese text in one canonical form.

Parents write "Học phí lớp 1 bao nhiêu?", "hoc phi lop 1 bn" or NFD text with the tone mark on
another vowel.  `VietnameseNormalizer` runs right after `WhitespaceTokenizer` and replaces the
message's text tokens by the tokens of `retrieval.normalize` (NFC, canonical tone placement, lower
case, abbreviations expanded, accents folded), so the featurizers and DIET see the same tokens for
all of those spellings.

The message TEXT itself is left untouched on purpose: Rasa copies the parsed TEXT into
`tracker.latest_message["text"]`, which the action server stores and searches with, and that must
stay what the parent typed.  Only standard library, Rasa and `retrieval.normalize` are imported
here because this module runs inside the Rasa environment (Python 3.10, rasa only).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from retrieval import normalize

_WORD_RE = re.compile(r"\w+", re.UNICODE)
MODES = ("folded", "accented_and_folded")


def normalized_forms(text: str, mode: str = "folded") -> List[str]:
    """The strings whose words become the message tokens, for one `mode`.

    "folded": the expanded text without diacritics only, so accented and unaccented spellings
    give identical tokens.  "accented_and_folded": the expanded accented text followed by its
    folded copy (when it differs), keeping the diacritics as extra evidence.
    """
    if mode not in MODES:
        raise ValueError(f"unknown VietnameseNormalizer mode {mode!r}; use one of {MODES}")
    expanded = normalize.expand(text)
    folded = normalize.fold(expanded)
    if mode == "folded":
        return [folded]
    return [expanded] if folded == expanded else [expanded, folded]


def normalized_tokens(text: str, mode: str = "folded") -> List[Token]:
    """Rasa tokens of the normalised forms; offsets point into the forms joined by one space."""
    joined = " ".join(normalized_forms(text, mode))
    return [Token(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(joined)]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False
)
class VietnameseNormalizer(GraphComponent):
    """Replaces the text tokens of each message by its normalised Vietnamese tokens."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """`mode`: "folded" (default) or "accented_and_folded", see `normalized_forms`."""
        return {"mode": "folded"}

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Store the configuration; fails on an unknown mode at start-up, not per message."""
        self._mode = str(config.get("mode", "folded"))
        normalized_forms("", self._mode)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseNormalizer:
        """Creates the component (nothing to train or load)."""
        return cls(config)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VietnameseNormalizer:
        """Loads the component: same as `create`, it keeps no state on disk."""
        return cls(config)

    def _normalize_message(self, message: Message) -> None:
        text: Optional[Text] = message.get(TEXT)
        if not isinstance(text, str) or not text:
            return
        tokens = normalized_tokens(text, self._mode)
        # Emoji-only or punctuation-only messages keep the WhitespaceTokenizer's tokens.
        if tokens:
            message.set(TOKENS_NAMES[TEXT], tokens)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalises the tokens of every training example."""
        for example in training_data.training_examples:
            self._normalize_message(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Normalises the tokens of incoming messages."""
        for message in messages:
            self._normalize_message(message)
        return messages
