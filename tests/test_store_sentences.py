"""Sentence vectors without a model or Chroma: rows written and read back through a stand-in
collection that answers in any order, and the cache in front of them."""

from __future__ import annotations

import random

import numpy as np

from plaibot.store import sentences


class Collection:
    """The part of a Chroma collection sentences.py uses; `get` returns rows shuffled."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[dict, np.ndarray]] = {}
        self.upserts: list[int] = []

    def upsert(self, ids, metadatas, embeddings) -> None:
        self.upserts.append(len(ids))
        self.rows.update(zip(ids, zip(metadatas, embeddings, strict=True), strict=True))

    def _matching(self, where) -> list[str]:
        wanted = set(where["chunk_id"]["$in"])
        return [i for i, (meta, _) in self.rows.items() if meta["chunk_id"] in wanted]

    def get(self, where, include) -> dict:
        found = self._matching(where)
        random.Random(len(found)).shuffle(found)
        return {"ids": found, "metadatas": [self.rows[i][0] for i in found],
                "embeddings": np.array([self.rows[i][1] for i in found])}

    def delete(self, where) -> None:
        for i in self._matching(where):
            del self.rows[i]


def vectors_for(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((count, 4))


def test_each_chunks_sentences_come_back_in_order():
    stored = Collection()
    written = {"a": vectors_for(7, 1), "b": vectors_for(1, 2), "c": vectors_for(3, 3)}
    sentences.write(stored, list(written), list(written.values()))
    got = sentences.read(stored, ["a", "c", "missing"])
    assert got.keys() == {"a", "c"}
    for chunk_id, rows in got.items():
        assert np.array_equal(rows, written[chunk_id])


def test_large_writes_are_split_under_chromas_per_call_limit():
    stored = Collection()
    sentences.write(stored, ["a", "b"], [vectors_for(4000, 1), vectors_for(3000, 2)])
    assert sum(stored.upserts) == 7000 and max(stored.upserts) <= 5461


def test_deleting_chunks_drops_only_their_sentences():
    stored = Collection()
    sentences.write(stored, ["a", "b"], [vectors_for(2, 1), vectors_for(2, 2)])
    sentences.delete(stored, ["a"])
    assert sentences.read(stored, ["a", "b"]).keys() == {"b"}


def test_the_cache_asks_only_for_chunks_it_does_not_hold():
    asked: list[list[str]] = []

    def fetch(chunk_ids: list[str]) -> dict[str, np.ndarray]:
        asked.append(chunk_ids)
        return {c: vectors_for(2, len(c)) for c in chunk_ids if c != "gone"}

    cache = sentences.SentenceCache(size=3)
    assert cache.vectors(["a", "bb", "gone"], fetch).keys() == {"a", "bb"}
    assert cache.vectors(["a", "ccc", "gone"], fetch).keys() == {"a", "ccc"}
    assert asked == [["a", "bb", "gone"], ["ccc", "gone"]]  # not found: asked again
    cache.vectors(["dddd"], fetch)  # a fourth chunk: the first read ("a") is forgotten
    cache.vectors(["a", "bb"], fetch)
    assert asked[-1] == ["a"]
