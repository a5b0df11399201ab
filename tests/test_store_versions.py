"""Version visibility as pure functions: what a reader sees while files are re-indexed.

No model and no Chroma: a store is a list of (chunk id, metadata) rows, written with the
same ids and metadata `ChunkStore` writes (`chunk_ids`, `version_fields`), and read back in
any order, as Chroma may return them.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaibot.store.versions import (
    ABANDONED_AFTER,
    Version,
    chunk_ids,
    stale,
    version_fields,
    versions,
    visible,
)

Row = tuple[str, dict]
NOW = 1_800_000_000.0


def rows_of(source: str, digest: str, count: int, written: float) -> list[Row]:
    """The rows of one whole file version, as `ChunkStore.add_files` writes them."""
    fields = version_fields(source, digest, count, written)
    return [(i, dict(fields)) for i in chunk_ids(source, digest, count)]


digests = st.binary(min_size=1, max_size=8).map(lambda b: hashlib.sha256(b).hexdigest())
sources = st.lists(st.sampled_from(["a.md", "b.txt", "sub/c.pdf", "Ü ü.html"]),
                   min_size=1, max_size=3, unique=True)


@st.composite
def swaps(draw: st.DrawFn) -> tuple[dict[str, tuple[list[Row], list[Row]]], list]:
    """Per source, its old (complete) and new version's rows; and the writer's steps, as
    `ChunkStore.replace_files` takes them: every new chunk in (in any order, files mixed),
    then every old chunk out (in any order)."""
    files = {}
    for source in draw(sources):
        old, new = draw(st.lists(digests, min_size=2, max_size=2, unique=True))
        started = draw(st.floats(NOW - 1e6, NOW))
        files[source] = (rows_of(source, old, draw(st.integers(1, 6)), started),
                         rows_of(source, new, draw(st.integers(1, 6)),
                                 started + draw(st.floats(0.001, 1e5))))
    writes = draw(st.permutations([("add", r) for _, new in files.values() for r in new]))
    deletes = draw(st.permutations([("delete", r) for old, _ in files.values() for r in old]))
    return files, writes + deletes


def seen(rows: list[Row], order: st.DataObject) -> dict[str, set[str]]:
    """Per source, the chunk ids a reader sees, the rows read back in a drawn order."""
    shuffled = order.draw(st.permutations(rows))
    return {source: set(version.ids) for source, version in visible(versions(shuffled)).items()}


@given(swaps(), st.data())
def test_during_a_swap_a_reader_sees_one_whole_version_of_every_file(swap, data):
    files, steps = swap
    rows = [r for old, _ in files.values() for r in old]
    stop = data.draw(st.integers(0, len(steps)), label="steps done")  # or a crash there
    for action, row in steps[:stop]:
        rows = rows + [row] if action == "add" else [r for r in rows if r[0] != row[0]]
    present = {r[0] for r in rows}
    shown = seen(rows, data)
    assert shown.keys() == files.keys(), "a file vanished"
    for source, (old, new) in files.items():
        new_in = all(i in present for i, _ in new)
        assert shown[source] == {i for i, _ in (new if new_in else old)}


@given(swaps(), st.data())
def test_a_finished_swap_shows_only_the_new_versions(swap, data):
    files, steps = swap
    rows = [row for action, row in steps if action == "add"]
    assert seen(rows, data) == {source: {i for i, _ in new} for source, (_, new) in files.items()}


versions_of_one_file = st.lists(
    st.tuples(digests, st.integers(1, 5), st.integers(0, 5),
              st.floats(NOW - 2 * ABANDONED_AFTER, NOW)),
    min_size=1, max_size=4, unique_by=lambda v: v[0])


def partly_written(drawn) -> list[Row]:
    """Rows of several versions of one file, each with `have` of its `count` chunks in."""
    return [row for digest, count, have, written in drawn
            for row in rows_of("a.md", digest, count, written)[:have]]


@given(versions_of_one_file, st.data())
def test_the_version_shown_is_the_newest_complete_one(drawn, data):
    complete = [(written, digest) for digest, count, have, written in drawn if have >= count]
    shown = visible(versions(data.draw(st.permutations(partly_written(drawn)))))
    if not complete:
        assert shown == {}
    else:
        assert shown["a.md"].complete
        assert shown["a.md"].written == max(complete)[0]


@given(versions_of_one_file)
def test_pruning_takes_what_no_reader_sees_and_no_writer_still_adds(drawn):
    found = versions(partly_written(drawn))
    before = {s: set(v.ids) for s, v in visible(found).items()}
    gone = set(stale(found, NOW))
    shown = visible(found).get("a.md")
    for version in found.values():
        ids = set(version.ids)
        abandoned = version.written < NOW - ABANDONED_AFTER
        should_go = version is not shown and (version.complete or abandoned)
        assert ids & gone == (ids if should_go else set())
    left = [(i, m) for i, m in partly_written(drawn) if i not in gone]
    assert {s: set(v.ids) for s, v in visible(versions(left)).items()} == before


def test_chunks_from_before_versions_were_counted_are_complete():
    legacy = [(f"old-{n}", {"source": "a.md", "file_hash": "f" * 64}) for n in range(3)]
    assert Version("f" * 64, None, 0.0).complete
    assert visible(versions(legacy))["a.md"].ids == ["old-0", "old-1", "old-2"]


def test_a_newer_version_counted_replaces_uncounted_chunks():
    legacy = [(f"old-{n}", {"source": "a.md", "file_hash": "f" * 64}) for n in range(3)]
    counted = rows_of("a.md", "e" * 64, 2, NOW)
    assert set(visible(versions(legacy + counted))["a.md"].ids) == {i for i, _ in counted}
    assert stale(versions(legacy + counted), NOW) == ["old-0", "old-1", "old-2"]


@pytest.mark.parametrize("meta", [{}, {"source": ""}, {"file_hash": "f" * 64}])
def test_chunks_without_a_source_are_not_shown(meta):
    assert versions([("x", meta)]) == {}


@given(st.lists(st.tuples(st.sampled_from(["a.md", "b.md", "c/a.md"]), digests),
                min_size=2, max_size=6, unique=True))
def test_different_file_versions_never_share_a_chunk_id(file_versions):
    ids = [i for source, digest in file_versions for i in chunk_ids(source, digest, 4)]
    assert len(ids) == len(set(ids))
