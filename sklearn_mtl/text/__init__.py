"""Item text encoded by a pretrained language model (optional extra ``text``)."""

from ._columns import text_values
from ._sentence_embedder import SentenceEmbedder

__all__ = ["SentenceEmbedder", "text_values"]
