"""The webhook spool's journal on a real disk: order, bound, torn records, compaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import Unavailable
from store.spool import Spool, decode, encode


def _add(spool: Spool, n: int, body: bytes = b'{"n": 1}') -> None:
    for i in range(n):
        spool.append("github", f"d{i}", {"x-github-event": "pull_request"}, body)


def test_records_come_back_in_arrival_order_and_compaction_empties_the_journal(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path / "spool", 1 << 20)
    assert not spool.pending()
    _add(spool, 5)
    assert spool.pending()
    first = spool.read(3)
    assert [e.record.delivery for e in first] == ["d0", "d1", "d2"]
    assert first[0].record.headers == {"x-github-event": "pull_request"}
    assert first[0].record.body == '{"n": 1}'
    assert not spool.compact()  # nothing applied yet: kept
    spool.advance(first[-1].end)
    assert [e.record.delivery for e in spool.read(10)] == ["d3", "d4"]
    assert not spool.compact()
    spool.advance(spool.read(10)[-1].end)
    assert spool.compact()
    assert not spool.pending() and spool.read(10) == []


def test_a_new_process_sees_what_an_old_one_spooled(tmp_path: Path) -> None:
    _add(Spool(tmp_path, 1 << 20), 2)
    assert [e.record.delivery for e in Spool(tmp_path, 1 << 20).read(10)] == ["d0", "d1"]


def test_beyond_the_bound_append_refuses_and_keeps_what_it_had(tmp_path: Path) -> None:
    line = len(encode(decode(_one_line(tmp_path / "probe")) or pytest.fail("no record")))
    spool = Spool(tmp_path / "spool", 3 * line + 8)  # the arrival time varies a little
    _add(spool, 3)
    with pytest.raises(Unavailable, match="spool is full"):
        spool.append("github", "d9", {}, b'{"n": 1}')
    assert [e.record.delivery for e in spool.read(10)] == ["d0", "d1", "d2"]


def test_a_torn_record_is_skipped_and_the_next_append_is_kept(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    _add(spool, 1)
    with spool.journal.open("ab") as f:  # a crash in the middle of an append
        f.write(b'1234abcd {"host": "git')
    assert [e.record.delivery for e in spool.read(10)] == ["d0"]
    spool.append("gitlab", "after", {}, b"{}")
    assert [e.record.delivery for e in spool.read(10)] == ["d0", "after"]


def test_a_damaged_record_fails_its_checksum(tmp_path: Path) -> None:
    line = _one_line(tmp_path)
    assert decode(line) is not None
    assert decode(line.replace(b"github", b"gitlab")) is None
    assert decode(b"zz not a record\n") is None


def test_one_process_leads_the_drain_at_a_time(tmp_path: Path) -> None:
    spool, other = Spool(tmp_path, 1 << 20), Spool(tmp_path, 1 << 20)
    with spool.leading() as nothing_yet:
        assert not nothing_yet  # no journal: nothing to drain
    _add(spool, 1)
    with spool.leading() as first, other.leading() as second:
        assert first and not second
    with other.leading() as later:
        assert later


def _one_line(directory: Path) -> bytes:
    spool = Spool(directory, 1 << 20)
    _add(spool, 1)
    return spool.journal.read_bytes()
