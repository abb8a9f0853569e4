"""offchain.orders.matching: worked examples, and the fast engine against a plain-Python reference."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.devtools import parts as td
from offchain.errors import ProdnetError
from offchain.orders import matching as mt
from offchain.parts.units import box_mm3, build_space_mm3

NOW = 1_000_000
DAY = 86_400


# ---------------------------------------------------------------- the plain-Python reference

def can_join(order: mt.Order, demand: mt.Demand, now: int) -> bool:
    """The rule in matching's docstring, written as plainly as possible."""
    fits = all(d <= e for d, e in zip(sorted(demand.dims_um), sorted(order.envelope_um), strict=True))
    slots = order.jobs_left is None or order.jobs_left > 0
    return (
        order.material == demand.material
        and fits
        and build_space_mm3(demand.dims_um, demand.quantity) <= order.space_left_mm3
        and order.price_per_cm3 <= demand.max_price_per_cm3
        and order.delivery <= demand.deadline
        and order.window[0] <= now < order.window[1]
        and slots
    )


def reference_offers(demand: mt.Demand, orders: list[mt.Order], now: int) -> list[int]:
    joinable = [o for o in orders if can_join(o, demand, now)]
    joinable.sort(key=lambda o: (o.price_per_cm3, o.delivery, box_mm3(o.envelope_um), o.id))
    return [o.id for o in joinable]


def reference_packing(order: mt.Order, demands: list[mt.Demand], now: int) -> tuple[list[int], int, int]:
    """(demand ids taken, space left, candidates): first-fit decreasing, one bin."""
    candidates = [d for d in demands if can_join(order, d, now)]
    candidates.sort(key=lambda d: (-build_space_mm3(d.dims_um, d.quantity), d.id))
    left = order.space_left_mm3
    slots = order.jobs_left
    taken = []
    for demand in candidates:
        if slots is not None and len(taken) == slots:
            break
        space = build_space_mm3(demand.dims_um, demand.quantity)
        if space <= left:
            taken.append(demand.id)
            left -= space
    return taken, left, len(candidates)


# ---------------------------------------------------------------- builders for examples

def order(ident: int, **kw: object) -> mt.Order:
    fields: dict[str, object] = {
        "id": ident, "producer": f"p{ident}", "material": "PA12",
        "envelope_um": (200_000, 200_000, 200_000), "space_left_mm3": 1_000_000,
        "window": (NOW - DAY, NOW + DAY), "delivery": NOW + 5 * DAY, "price_per_cm3": 100,
    }
    fields.update(kw)
    return mt.Order(**fields)  # type: ignore[arg-type]


def demand(ident: int, **kw: object) -> mt.Demand:
    fields: dict[str, object] = {
        "id": ident, "material": "PA12", "dims_um": (50_000, 40_000, 30_000),
        "part_volume_mm3": 20_000, "quantity": 1, "deadline": NOW + 10 * DAY,
        "max_price_per_cm3": 150,
    }
    fields.update(kw)
    return mt.Demand(**fields)  # type: ignore[arg-type]


def run(orders: list[mt.Order], demands: list[mt.Demand], now: int = NOW, **kw: object) -> mt.Match:
    return mt.match(mt.OrderBook.build(orders), mt.DemandBook.build(demands), now, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- examples

def test_ranking_is_price_then_delivery_then_best_fit_then_id() -> None:
    orders = [
        order(1, price_per_cm3=120),
        order(2, price_per_cm3=90, delivery=NOW + 6 * DAY),
        order(3, price_per_cm3=90, delivery=NOW + 4 * DAY, envelope_um=(300_000,) * 3),
        order(4, price_per_cm3=90, delivery=NOW + 4 * DAY, envelope_um=(100_000,) * 3),
        order(5, price_per_cm3=90, delivery=NOW + 4 * DAY, envelope_um=(100_000,) * 3),
    ]
    offers = run(orders, [demand(1)]).offers_for(1)
    assert [o.order_id for o in offers] == [4, 5, 3, 2, 1]
    assert offers[0].waste_mm3 == 100**3 - 50 * 40 * 30
    # the price is of the build space (the 50 x 40 x 30 mm bounding box), not of the 20 cm3 declared
    assert offers[0].cost == -(-90 * build_space_mm3((50_000, 40_000, 30_000), 1) // 1000) == 5400


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"material": "PA11"}, "material"),
        ({"envelope_um": (60_000, 45_000, 29_000)}, "too small on one axis"),
        ({"space_left_mm3": 59_999}, "space"),
        ({"price_per_cm3": 151}, "price"),
        ({"delivery": NOW + 10 * DAY + 1}, "delivery after deadline"),
        ({"window": (NOW - DAY, NOW)}, "window over"),
        ({"window": (NOW + 1, NOW + DAY)}, "window not started"),
        ({"jobs_left": 0}, "no job slot"),
    ],
)
def test_each_condition_excludes_an_order(change: dict[str, object], why: str) -> None:
    offers = run([order(1), order(2, **change)], [demand(1)]).offers_for(1)
    assert [o.order_id for o in offers] == [1], why


def test_fit_allows_any_axis_aligned_orientation() -> None:
    offers = run([order(1, envelope_um=(30_000, 50_000, 40_000))], [demand(1)]).offers_for(1)
    assert [o.order_id for o in offers] == [1]


def test_boundaries_are_inclusive_like_the_contract() -> None:
    exact = order(1, envelope_um=(50_000, 40_000, 30_000), space_left_mm3=60_000,
                  price_per_cm3=150, delivery=NOW + 10 * DAY, window=(NOW, NOW + 1))
    assert [o.order_id for o in run([exact], [demand(1)]).offers_for(1)] == [1]


def test_packing_is_first_fit_decreasing_and_says_it_is_a_volume_bound() -> None:
    # build space: 1 -> 60_000, 2 -> 240_000, 3 -> 120_000, 4 -> 120_000, 5 -> 30_000
    demands = [
        demand(1),
        demand(2, quantity=4),
        demand(3, quantity=2),
        demand(4, quantity=2),
        demand(5, dims_um=(50_000, 40_000, 15_000), part_volume_mm3=10_000),
    ]
    packing = run([order(9, space_left_mm3=400_000)], demands).packing_for(9)
    assert packing.demand_ids == (2, 3, 5)  # 240k, 120k, (120k does not fit), (60k no), 30k
    assert packing.space_used_mm3 == 390_000 and packing.space_left_mm3 == 10_000
    assert packing.candidates == 5
    assert "volume bound" in packing.bound and "not geometric nesting" in packing.bound


def test_packing_respects_job_slots() -> None:
    demands = [demand(i) for i in range(1, 6)]
    packing = run([order(9, jobs_left=2)], demands).packing_for(9)
    assert packing.demand_ids == (1, 2)


def test_limit_keeps_the_best_offers() -> None:
    orders = [order(i, price_per_cm3=100 + i) for i in range(1, 8)]
    result = run(orders, [demand(1)], limit=3)
    assert [o.order_id for o in result.offers_for(1)] == [1, 2, 3]
    assert result.packing_for(7).demand_ids == (1,)  # packing ignores the limit


def test_one_off_queries() -> None:
    orders = [order(1, price_per_cm3=130), order(2)]
    assert [o.order_id for o in mt.offers_for(demand(1), orders, NOW)] == [2, 1]
    assert mt.packing_for(order(1), [demand(1), demand(2)], NOW).demand_ids == (1, 2)


def test_nothing_matches_in_an_empty_market() -> None:
    result = run([], [demand(1)])
    assert result.offers_for(1) == [] and result.pairs == 0
    assert run([order(1)], []).packing_for(1).demand_ids == ()


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (lambda: [order(1), order(1)], "order id 1 appears twice"),
        (lambda: [order(1, envelope_um=(1, 2))], "envelope must be three integers"),
        (lambda: [order(1, envelope_um=(0, 2, 3))], "envelope must be between 1"),
        (lambda: [order(1, window=(5, 4))], "window ends (4) before it starts (5)"),
        (lambda: [order(1, price_per_cm3=2**63)], "price per cm3 must be between 0"),
        (lambda: [order(1, material=" ")], "material must be a non-empty"),
        (lambda: [order(1, space_left_mm3=1.5)], "space left must be an integer"),
    ],
)
def test_bad_orders_are_rejected_with_a_clear_message(bad, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(mt.MatchingInputError) as caught:
        mt.OrderBook.build(bad())
    assert words in str(caught.value) and isinstance(caught.value, ProdnetError)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (lambda: [demand(3), demand(3)], "demand id 3 appears twice"),
        (lambda: [demand(1, quantity=0)], "quantity must be between 1"),
        (lambda: [demand(1, part_volume_mm3=70_000)], "larger than its bounding box (60000 mm3)"),
        (lambda: [demand(1, part_volume_mm3=0)], "part volume must be between 1"),
        (lambda: [demand(1, dims_um=(-1, 2, 3))], "dimensions must be between 1"),
        (lambda: [demand(1, deadline=True)], "deadline must be an integer"),
    ],
)
def test_bad_demands_are_rejected_with_a_clear_message(bad, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(mt.MatchingInputError) as caught:
        mt.DemandBook.build(bad())
    assert words in str(caught.value)


def test_unknown_ids_are_reported() -> None:
    result = run([order(1)], [demand(1)])
    with pytest.raises(mt.MatchingInputError, match="demand 7 is not in this match"):
        result.offers_for(7)
    with pytest.raises(mt.MatchingInputError, match="order 7 is not in this match"):
        result.packing_for(7)


def test_seeded_market_agrees_with_the_reference() -> None:
    orders, demands = td.market(seed=3, orders=150, demands=200, now=NOW)
    result = run(orders, demands, block_cells=1000)
    assert result.pairs > 100  # the market is not trivially empty
    for d in demands:
        assert [o.order_id for o in result.offers_for(d.id)] == reference_offers(d, orders, NOW)
    for o in orders:
        taken, left, candidates = reference_packing(o, demands, NOW)
        packing = result.packing_for(o.id)
        assert (list(packing.demand_ids), packing.space_left_mm3, packing.candidates) == (
            taken, left, candidates)


# ---------------------------------------------------------------- property: fast == reference

MATERIALS = st.sampled_from(["PA12", "PA12", "316L"])
LENGTH = st.integers(1, 3).map(lambda k: k * 10_000)  # few values: many ties and exact fits
ENVELOPES = st.sampled_from([(20_000, 20_000, 30_000), (30_000, 20_000, 20_000), (30_000,) * 3,
                             (10_000, 30_000, 30_000)])


@st.composite
def markets(draw: st.DrawFn) -> tuple[list[mt.Order], list[mt.Demand], int]:
    """Small, dense markets: most pairs are near a boundary of some condition."""
    now = draw(st.integers(2, 4))
    n_orders = draw(st.integers(0, 10))
    orders = []
    for i in range(n_orders):
        start = draw(st.integers(0, 3))
        orders.append(mt.Order(
            id=draw(st.integers(0, 3)) * 100 + i,
            producer=f"p{i}",
            material=draw(MATERIALS),
            envelope_um=draw(ENVELOPES),
            space_left_mm3=draw(st.integers(0, 60)) * 1000,
            window=(start, start + draw(st.integers(0, 6))),
            delivery=draw(st.integers(0, 3)),
            price_per_cm3=draw(st.integers(1, 2)),
            jobs_left=draw(st.none() | st.integers(0, 4)),
        ))
    n_demands = draw(st.integers(0, 16))
    demands = []
    for i in range(n_demands):
        dims = (draw(LENGTH), draw(LENGTH), draw(LENGTH))
        demands.append(mt.Demand(
            id=draw(st.integers(0, 3)) * 100 + i,
            material=draw(MATERIALS),
            dims_um=dims,
            part_volume_mm3=max(1, box_mm3(dims) // 2),
            quantity=draw(st.integers(1, 3)),
            deadline=draw(st.integers(2, 6)),
            max_price_per_cm3=draw(st.integers(1, 3)),
        ))
    return orders, demands, now


# Each example takes milliseconds: run several times the profile's count.
@settings(max_examples=settings.default.max_examples * 8)
@given(market=markets(), block_cells=st.sampled_from([1, 5, 37, mt.BLOCK_CELLS]),
       limit=st.none() | st.integers(1, 3))
def test_fast_engine_equals_reference(
    market: tuple[list[mt.Order], list[mt.Demand], int], block_cells: int, limit: int | None
) -> None:
    orders, demands, now = market
    result = run(orders, demands, now, block_cells=block_cells, limit=limit)
    for d in demands:
        expected = reference_offers(d, orders, now)
        if limit is not None:
            expected = expected[:limit]
        assert [o.order_id for o in result.offers_for(d.id)] == expected
    for o in orders:
        taken, left, candidates = reference_packing(o, demands, now)
        packing = result.packing_for(o.id)
        assert list(packing.demand_ids) == taken
        assert packing.space_left_mm3 == left
        assert packing.candidates == candidates


def dense_market(seed: int) -> tuple[list[mt.Order], list[mt.Demand]]:
    """60 orders x 90 demands drawn from a handful of values: ties everywhere."""
    rng = random.Random(seed)
    envelopes = [(20_000, 20_000, 30_000), (30_000,) * 3, (10_000, 30_000, 30_000)]
    orders = [
        mt.Order(
            id=rng.randrange(10**6) * 100 + i, producer=f"p{i}", material=rng.choice("AAB"),
            envelope_um=rng.choice(envelopes), space_left_mm3=rng.randrange(0, 80) * 1000,
            window=(rng.randrange(0, 4), rng.randrange(3, 8)), delivery=rng.randrange(0, 3),
            price_per_cm3=rng.randrange(1, 3), jobs_left=rng.choice([None, None, 0, 1, 2, 3]),
        )
        for i in range(60)
    ]
    demands = []
    for i in range(90):
        dims = (rng.randrange(1, 4) * 10_000, rng.randrange(1, 3) * 10_000, 10_000)
        demands.append(mt.Demand(
            id=rng.randrange(10**6) * 100 + i, material=rng.choice("AAB"), dims_um=dims,
            part_volume_mm3=box_mm3(dims), quantity=rng.randrange(1, 4),
            deadline=rng.randrange(1, 4), max_price_per_cm3=rng.randrange(1, 3),
        ))
    return orders, demands


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("block_cells", "limit"), [(mt.BLOCK_CELLS, None), (1, None), (50, 2)])
def test_dense_random_market_equals_reference(seed: int, block_cells: int, limit: int | None) -> None:
    orders, demands = dense_market(seed)
    now = 3
    result = run(orders, demands, now, block_cells=block_cells, limit=limit)
    assert result.pairs > 50 and len(result.pack_demands) > 20  # not trivially empty
    for d in demands:
        expected = reference_offers(d, orders, now)[:limit]
        assert [o.order_id for o in result.offers_for(d.id)] == expected
    for o in orders:
        taken, left, candidates = reference_packing(o, demands, now)
        packing = result.packing_for(o.id)
        assert (list(packing.demand_ids), packing.space_left_mm3, packing.candidates) == (
            taken, left, candidates)


# ---------------------------------------------------------------- job slots from the chain's caps

def test_job_slots_are_the_tighter_of_the_live_and_the_id_cap() -> None:
    from dataclasses import replace

    from offchain.index import OrderRow
    from offchain.orders.market import JobLimits

    row = OrderRow(
        id=1, producer="p", status=2, machineId=1, jobCount=0, liveJobs=0, token="0x" + "0" * 40,
        pricePerCm3=1, capacity=10, used=0, start=0, end=1, deadline=2, envX=1, envY=1, envZ=1,
        material_text="PA12",
    )
    limits = JobLimits(live=100, ids=1000)
    assert limits.left(row) == 100
    assert limits.left(replace(row, jobCount=950, liveJobs=10)) == 50  # ids run out first
    assert limits.left(replace(row, jobCount=400, liveJobs=100)) == 0  # full of live jobs
    assert limits.left(replace(row, jobCount=120, liveJobs=40)) == 60  # jobs that left free slots
    assert limits.left(replace(row, jobCount=1000, liveJobs=3)) == 0


# ---------------------------------------------------------------- the book straight from columns

def columns_of(orders: list[mt.Order]) -> mt.OrderColumns:
    """ORDERS as the index hands them to ``match`` (no limit on job slots: INT64_MAX)."""
    import numpy as np

    def ints(values: list[int]) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    return mt.OrderColumns(
        ids=ints([o.id for o in orders]),
        producers=[o.producer for o in orders],
        materials=[o.material for o in orders],
        envelope_um=np.array([o.envelope_um for o in orders], dtype=np.int64).reshape(len(orders), 3),
        space_left_mm3=ints([o.space_left_mm3 for o in orders]),
        start=ints([o.window[0] for o in orders]),
        end=ints([o.window[1] for o in orders]),
        delivery=ints([o.delivery for o in orders]),
        price_per_cm3=ints([o.price_per_cm3 for o in orders]),
        jobs_left=ints([mt.INT64_MAX if o.jobs_left is None else o.jobs_left for o in orders]),
    )


@settings(max_examples=settings.default.max_examples * 4)
@given(market=markets(), limit=st.none() | st.integers(1, 3))
def test_a_book_from_columns_matches_like_the_reference(
    market: tuple[list[mt.Order], list[mt.Demand], int], limit: int | None
) -> None:
    orders, demands, now = market
    from_objects = mt.OrderBook.build(orders)
    book = mt.OrderBook.from_columns(columns_of(orders))
    assert [o.id for o in book.orders] == [o.id for o in from_objects.orders] == book.ids.tolist()
    assert list(book.producers) == list(from_objects.producers)
    assert book.slices == from_objects.slices and book.index == from_objects.index
    result = mt.match(book, mt.DemandBook.build(demands), now, limit=limit)
    for d in demands:
        expected = reference_offers(d, orders, now)[:limit]
        offers = result.offers_for(d.id)
        assert [o.order_id for o in offers] == expected
        assert offers == run(orders, [d], now, limit=limit).offers_for(d.id)  # costs, waste alike
    for o in orders:
        taken, left, candidates = reference_packing(o, demands, now)
        packing = result.packing_for(o.id)
        assert (list(packing.demand_ids), packing.space_left_mm3, packing.candidates) == (
            taken, left, candidates)


def test_the_orders_of_a_book_from_columns_are_made_when_asked() -> None:
    flat = (300_000, 100_000, 200_000)  # a smaller envelope than 200 mm cubed: ranked first
    orders = [order(3, price_per_cm3=120, jobs_left=2), order(1), order(2, envelope_um=flat)]
    book = mt.OrderBook.from_columns(columns_of(orders))
    assert len(book) == 3 and [o.id for o in book.orders[:2]] == [2, 1]
    unlimited = mt.Order(**{**orders[2].__dict__, "jobs_left": mt.INT64_MAX})  # None in columns
    assert book.orders[0] == unlimited  # the envelope as given, not sorted
    assert book.orders[2] == orders[0] and book.orders[2].jobs_left == 2


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (lambda: [order(1), order(1)], "order id 1 appears twice"),
        (lambda: [order(1), order(2, envelope_um=(0, 2, 3))], "order 2: envelope must be between 1"),
        (lambda: [order(1, window=(5, 4))], "order 1: window ends (4) before it starts (5)"),
        (lambda: [order(7, space_left_mm3=-1)], "order 7: space left must be between 0"),
        (lambda: [order(1, material=" ")], "material must be a non-empty"),
    ],
)
def test_bad_columns_are_rejected_like_bad_orders(bad, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(mt.MatchingInputError) as caught:
        mt.OrderBook.from_columns(columns_of(bad()))
    assert words in str(caught.value)


def test_columns_beyond_63_bits_are_refused() -> None:
    import numpy as np

    columns = columns_of([order(1), order(2)])
    wide = np.array([100, 2**63], dtype=np.uint64)
    with pytest.raises(mt.MatchingInputError, match="order 2: price per cm3 must be between 0"):
        mt.OrderBook.from_columns(mt.OrderColumns(**{**columns.__dict__, "price_per_cm3": wide}))


# ---------------------------------------------------------------- an assembly: one order for all its parts

def reference_assembly(
    parts: list[mt.Demand], orders: list[mt.Order], now: int,
) -> list[tuple[int, list[int]]]:
    """(order id, each part's cost) of the orders that take every part: each part can join on its
    own, their build spaces together fit the space left, and there is a job slot per part."""
    from offchain.parts.units import price_wei

    found = []
    for o in orders:
        spaces = sum(build_space_mm3(d.dims_um, d.quantity) for d in parts)
        slots = o.jobs_left is None or o.jobs_left >= len(parts)
        if all(can_join(o, d, now) for d in parts) and spaces <= o.space_left_mm3 and slots:
            found.append(o)
    found.sort(key=lambda o: (o.price_per_cm3, o.delivery, box_mm3(o.envelope_um), o.id))
    return [(o.id, [price_wei(o.price_per_cm3, d.dims_um, d.quantity) for d in parts]) for o in found]


def test_an_assembly_goes_to_an_order_that_takes_every_part() -> None:
    small, large = demand(1, dims_um=(50_000, 40_000, 30_000)), demand(2, dims_um=(100_000, 100_000, 50_000))
    orders = [
        order(1, space_left_mm3=560_000),  # room for both (60 + 500 cm3)
        order(2, space_left_mm3=550_000),  # room for each, not for both
        order(3, envelope_um=(60_000, 60_000, 60_000)),  # the large part does not fit
        order(4, jobs_left=1),  # a job slot for one part only
        order(5, price_per_cm3=120, jobs_left=2),
    ]
    offers = mt.assembly_offers(mt.OrderBook.build(orders), [small, large], NOW)
    assert [o.order_id for o in offers] == [1, 5]
    first = offers[0]
    assert first.part_costs == (60_000 * 100 // 1000, 500_000 * 100 // 1000)  # each part as its own join
    assert first.cost == sum(first.part_costs)
    expected = reference_assembly([small, large], orders, NOW)
    assert [(o.order_id, list(o.part_costs)) for o in offers] == expected


@settings(max_examples=settings.default.max_examples * 4)
@given(market=markets(), size=st.integers(1, 4))
def test_assembly_offers_equal_the_reference(
    market: tuple[list[mt.Order], list[mt.Demand], int], size: int,
) -> None:
    orders, demands, now = market
    parts = [
        mt.Demand(id=i, material="PA12", dims_um=d.dims_um, part_volume_mm3=d.part_volume_mm3,
                  quantity=d.quantity, deadline=d.deadline, max_price_per_cm3=d.max_price_per_cm3)
        for i, d in enumerate(demands[:size])
    ]
    if not parts:
        with pytest.raises(mt.MatchingInputError, match="at least one part"):
            mt.assembly_offers(mt.OrderBook.build(orders), parts, now)
        return
    offers = mt.assembly_offers(mt.OrderBook.build(orders), parts, now)
    assert [(o.order_id, list(o.part_costs)) for o in offers] == reference_assembly(parts, orders, now)
    assert all(o.cost == sum(o.part_costs) for o in offers)
