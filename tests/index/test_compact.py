"""How the index keeps the chain's wide integers: an SQLite INTEGER when the value fits 63 bits,
else fixed-width text; SQL compares them as numbers either way, reads return them exactly."""

from __future__ import annotations

from pathlib import Path

from offchain.chain.codec import ZERO_ADDRESS, OrderStatus
from offchain.index import views
from offchain.index.db import INT64_MAX, big, open_index, transaction

WIDE = 2**200  # a uint256 price no real order has, but the contract accepts


def _index(tmp_path: Path):  # type: ignore[no-untyped-def]
    return open_index(tmp_path / "index.sqlite", {"chain_id": "1"}, notice=lambda line: None)


def _order(order_id: int, price: int, capacity: int, used: int) -> tuple[object, ...]:
    return (
        order_id, "0x" + "11" * 20, int(OrderStatus.OPEN), 1, 0, 0, ZERO_ADDRESS, big(price), big(capacity),
        big(used), 0, 100, 200, 1000, 2000, 3000, "PA12", ZERO_ADDRESS, 5,
    )


def test_big_keeps_small_values_as_integers_and_wide_ones_as_ordered_text() -> None:
    assert big(0) == 0 and big(INT64_MAX) == INT64_MAX
    assert big(INT64_MAX + 1) == f"{INT64_MAX + 1:080d}" and big(WIDE) == f"{WIDE:080d}"


def test_wide_values_read_back_exactly_and_compare_as_numbers(tmp_path: Path) -> None:
    db = _index(tmp_path)
    with transaction(db):
        for row in (
            _order(1, 5, 10_000, 0),
            _order(2, WIDE, 10_000, 0),
            _order(3, INT64_MAX + 1, 2**70, 1),
            _order(4, 7, 10_000, 9_999),
        ):
            db.execute(f"INSERT INTO orders VALUES ({', '.join('?' * 19)})", row)
    assert [(o.id, o.pricePerCm3) for o in views.orders(db, order_by="price")] == [
        (1, 5), (4, 7), (3, INT64_MAX + 1), (2, WIDE)
    ]
    assert [o.id for o in views.orders(db, max_price=7)] == [1, 4]
    assert [o.id for o in views.orders(db, max_price=INT64_MAX + 1)] == [1, 3, 4]
    assert [o.id for o in views.orders(db, max_price=WIDE)] == [1, 2, 3, 4]
    assert views.order(db, 3).space_left == 2**70 - 1  # type: ignore[union-attr]
    # the order book's columns: what does not fit 63 bits reads as INT64_MAX (never affordable)
    arrays = views.order_arrays(db, OrderStatus.OPEN)
    assert arrays.ids.tolist() == [1, 2, 3, 4]
    assert arrays.price.tolist() == [5, INT64_MAX, INT64_MAX, 7]
    assert arrays.space_left.tolist() == [10_000, 10_000, INT64_MAX, 1]
    assert arrays.envelope.tolist() == [[1000, 2000, 3000]] * 4 and arrays.materials == ["PA12"] * 4
    db.close()


def test_an_empty_market_has_empty_columns(tmp_path: Path) -> None:
    db = _index(tmp_path)
    arrays = views.order_arrays(db, OrderStatus.OPEN)
    assert len(arrays.ids) == 0 and arrays.envelope.shape == (0, 3) and arrays.producers == []
    db.close()
