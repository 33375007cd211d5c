"""Knowledge-base tables: documents, their version history, chunks and FAQ entries.

Owned by the retrieval work; see `retrieval/` for how rows become search indexes.
"""

from __future__ import annotations
