"""A producer's track record: what the counts the index keeps of its orders' events
(``offchain.index.ProducerCounts``) mean to the market, and its one line of text for
``order match``, ``order status``, the portal's market page and a part's offers.

On time and late, as the contract allows them: ``ship`` is refused at or after the order's
delivery deadline, so every shipment is on time, and a delivery that does not come by the
deadline shows as the customer's ``reclaim`` of the unshipped job (the deposit back). It is
late when the producer had the job's model (submitted, never shipped): a reclaimed job
without a model is the customer's own (the model never came, though after the window's end
any participant may close the order for it), and not the producer's lateness.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from offchain.index import MarketIndex, ProducerCounts


@dataclass(frozen=True)
class TrackRecord:
    """What a producer's jobs came to, read from COUNTS."""

    counts: ProducerCounts

    @property
    def completed(self) -> int:
        return self.counts.completed

    @property
    def on_time(self) -> int:
        """Jobs shipped by the delivery deadline: every shipment (no later one is possible)."""
        return self.counts.shipped

    @property
    def late(self) -> int:
        """Jobs not shipped by the deadline although the producer had their model: reclaimed
        by their customers after it."""
        return self.counts.reclaimed_with_model

    @property
    def shipped(self) -> int:
        return self.counts.shipped

    @property
    def reclaimed(self) -> int:
        """Unshipped jobs their customers took back after the deadline, with a model (late) or
        without one."""
        return self.counts.reclaimed

    @property
    def cancelled(self) -> int:
        """Jobs refunded because the producer cancelled the order."""
        return self.counts.cancelled

    @property
    def evicted(self) -> int:
        """Joined jobs the producer evicted (refunded) before closing the order."""
        return self.counts.evicted

    @property
    def unconfirmed(self) -> int:
        """Jobs completed by the producer's finalize, without the customer's confirmation."""
        return self.counts.finalized

    @property
    def rejected(self) -> int:
        return self.counts.rejected

    @property
    def disputed(self) -> int:
        return self.counts.disputed

    @property
    def for_producer(self) -> int:
        return self.counts.for_producer

    @property
    def split(self) -> int:
        return self.counts.split

    @property
    def refunded_by_arbiter(self) -> int:
        return self.counts.refunded_by_arbiter

    @property
    def refunded_by_default(self) -> int:
        return self.counts.refunded_by_default

    @property
    def confirmed_after_dispute(self) -> int:
        return self.counts.confirmed_after_dispute

    @property
    def on_time_share(self) -> float | None:
        """On-time share of the jobs whose delivery the producer owed: shipped, or late (None
        without any)."""
        owed = self.on_time + self.late
        return None if owed == 0 else self.on_time / owed

    @property
    def disputes_open(self) -> int:
        """Disputes not resolved, settled or confirmed yet."""
        ended = (
            self.for_producer + self.split + self.refunded_by_arbiter + self.refunded_by_default
            + self.confirmed_after_dispute
        )
        return max(0, self.disputed - ended)

    def disputes_text(self) -> str:
        """Rejections and disputes, and how the disputes ended: 'none' without any."""
        if not (self.rejected or self.disputed):
            return "none"
        parts = []
        if self.rejected:
            parts.append(f"{self.rejected} rejected")
        if self.disputed:
            outcomes = [
                f"{n} {what}"
                for n, what in (
                    (self.for_producer, "for the producer"),
                    (self.split, "split"),
                    (self.refunded_by_arbiter, "refunded by the arbiter"),
                    (self.refunded_by_default, "refunded by default"),
                    (self.confirmed_after_dispute, "confirmed after all"),
                    (self.disputes_open, "open"),
                )
                if n
            ]
            parts.append(f"{self.disputed} disputed ({', '.join(outcomes)})")
        return ", ".join(parts)

    def text(self, disputes: bool = True) -> str:
        """The record in a line ('new' without any); DISPUTES: with the rejections and disputes
        (where they have no column of their own). Late jobs are among the reclaimed ones."""
        if not (self.completed or self.shipped or self.reclaimed or self.cancelled or self.rejected):
            return "new"
        text = (
            f"{self.completed} done, {self.on_time} on time, {self.late} late, "
            f"{self.reclaimed} reclaimed, {self.cancelled} cancelled, {self.unconfirmed} unconfirmed"
        )
        if disputes and (self.rejected or self.disputed):
            text += "; " + self.disputes_text()
        return text


def track_records(index: MarketIndex, producers: Iterable[str] | None = None) -> dict[str, TrackRecord]:
    """Each producer's track record (all producers, or PRODUCERS), from the index's counts."""
    return {producer: TrackRecord(counts) for producer, counts in index.producer_counts(producers).items()}

