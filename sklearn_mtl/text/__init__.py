"""Item text encoded by a pretrained language model (optional extra ``text``)."""

from ._columns import text_values
from ._encoding import embed_texts, encode_text_columns, fit_text_encoders
from ._sentence_embedder import SentenceEmbedder

__all__ = [
    "SentenceEmbedder",
    "embed_texts",
    "encode_text_columns",
    "fit_text_encoders",
    "text_values",
]
