"""Store step: chunks, their embeddings and their sentences' embeddings in Chroma.

`ChunkStore` (in `chunks.py`) is what the other steps use. Behind it:

- `connection.py`: reaching Chroma (a folder, memory or a server), the one module that
  imports chromadb at run time;
- `versions.py`: which version of each file readers see while files are re-indexed
  (pure functions over chunk metadata);
- `sentences.py`: the per-sentence vectors stored beside the chunks, and their cache.
"""

from plaibot.errors import StoreUnavailable
from plaibot.store.chunks import ChunkStore
from plaibot.store.connection import public_url

__all__ = ["ChunkStore", "StoreUnavailable", "public_url"]
