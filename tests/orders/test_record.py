"""A producer's track record read from the index's counts: every shipment is on time (the
contract refuses a later one); a job reclaimed after the deadline with its model in the
producer's hands is late, one reclaimed without a model is not; the one-line wording.
(The same read of a real chain's index: tests/index/test_disputes.py.)"""

from __future__ import annotations

from typing import Any

from offchain.index import ProducerCounts
from offchain.orders.market import _record_key
from offchain.orders.record import TrackRecord, track_records


def test_a_job_reclaimed_after_the_deadline_with_its_model_is_late() -> None:
    record = TrackRecord(ProducerCounts(shipped=3, reclaimed=1, reclaimed_with_model=1))
    assert (record.on_time, record.late, record.reclaimed) == (3, 1, 1)
    assert record.on_time_share == 3 / 4
    assert record.text() == "0 done, 3 on time, 1 late, 1 reclaimed, 0 cancelled, 0 unconfirmed"


def test_a_job_reclaimed_without_a_model_is_not_the_producers_lateness() -> None:
    record = TrackRecord(ProducerCounts(shipped=2, reclaimed=1))
    assert (record.late, record.reclaimed, record.on_time_share) == (0, 1, 1.0)
    assert "0 late, 1 reclaimed" in record.text()


def test_only_late_jobs_owed_are_judged() -> None:
    assert TrackRecord(ProducerCounts()).on_time_share is None
    assert TrackRecord(ProducerCounts(reclaimed=2)).on_time_share is None  # no model ever came
    assert TrackRecord(ProducerCounts(reclaimed=1, reclaimed_with_model=1)).on_time_share == 0.0


def test_the_wording_new_counts_and_disputes() -> None:
    assert TrackRecord(ProducerCounts()).text() == "new"
    assert TrackRecord(ProducerCounts(evicted=2)).text() == "new"  # evictions are no delivery record
    record = TrackRecord(
        ProducerCounts(completed=3, confirmed=1, finalized=1, confirmed_after_dispute=1, shipped=6,
                       reclaimed=1, reclaimed_with_model=1, cancelled=2, rejected=1, disputed=4, split=1,
                       refunded_by_default=1)
    )
    assert (record.unconfirmed, record.disputes_open) == (1, 1)
    disputes = "1 rejected, 4 disputed (1 split, 1 refunded by default, 1 confirmed after all, 1 open)"
    assert record.disputes_text() == disputes
    line = "3 done, 6 on time, 1 late, 1 reclaimed, 2 cancelled, 1 unconfirmed"
    assert record.text() == f"{line}; {disputes}"
    assert record.text(disputes=False) == line
    assert TrackRecord(ProducerCounts(completed=1, shipped=1)).disputes_text() == "none"


def test_match_ranks_late_producers_below_punctual_ones() -> None:
    punctual = TrackRecord(ProducerCounts(completed=1, shipped=2, reclaimed=1))  # a customer's own reclaim
    late = TrackRecord(ProducerCounts(completed=5, shipped=2, reclaimed=1, reclaimed_with_model=1))
    ranked = sorted([late, None, punctual], key=_record_key)
    assert ranked == [punctual, late, None]  # 1.0, then 2/3, then unknown (0.5)


class _Index:
    def __init__(self, counts: dict[str, ProducerCounts]) -> None:
        self.counts = counts
        self.asked: list[Any] = []

    def producer_counts(self, producers: Any = None) -> dict[str, ProducerCounts]:
        self.asked.append(producers)
        return self.counts


def test_track_records_reads_the_index_counts() -> None:
    counts = ProducerCounts(shipped=1, reclaimed=1, reclaimed_with_model=1)
    index = _Index({"0xabc": counts})
    records = track_records(index, ["0xAbc"])  # type: ignore[arg-type]
    assert records == {"0xabc": TrackRecord(counts)} and records["0xabc"].late == 1
    assert index.asked == [["0xAbc"]]
