"""The contract is the oracle of the Python part math (offchain/parts/units.py).

``quote`` runs the contracts' own PartMath (box volume, build space, price, fit); the one
Python copy must agree with it everywhere, in particular at the edges: uint32 maximum
dimensions, the rounding boundaries of volume (multiples of 1e9 um3) and price
(multiples of 1000), the quantity and price limits of the types the chain stores.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from offchain.parts import units
from tests.utils import actions
from tests.utils.constants import PA12, SLS

U32 = 2**32 - 1
U64 = 2**64 - 1
U96 = 2**96 - 1
MAX_ENVELOPE = (U32, U32, U32)
LOW_ENVELOPE = (1000, 2000, 3000)  # 1 x 2 x 3 mm
LOW_CAPACITY = 6  # mm3, the whole envelope
FLOAT_TRAP = (1_000_000_001, 4_000_000_007, 1)  # float division gives one mm3 too few

dims_st = st.tuples(
    *[st.one_of(st.integers(1, U32), st.sampled_from([1, 999, 1000, 1001, U32 - 1, U32])) for _ in range(3)]
)


@pytest.fixture(scope="module")
def oracle(stacks, cast):
    """Two orders of the public stack: one on a machine as large as the chain can store at
    the largest price per cm3, one small (1 x 2 x 3 mm) at 1 wei per cm3."""
    registry, orders, producer = stacks["public"].registry, stacks["public"].orders, cast["producer"]
    machine = actions.machine_id(
        actions.register_machine(registry, producer, process=SLS, material=PA12, envelope=MAX_ENVELOPE),
        registry,
    )
    big = actions.open_order(orders, producer, machine, envelope=MAX_ENVELOPE, capacity=U64, price=U96)
    low = actions.open_order(orders, producer, machine, envelope=LOW_ENVELOPE, capacity=LOW_CAPACITY, price=1)
    return orders, actions.order_id(big, orders), actions.order_id(low, orders)


def _contract(orders, order_id: int, dims, volume: int, quantity: int):
    fits, space, price = orders.quote(order_id, list(dims), volume, quantity)
    return bool(fits), int(space), int(price)


@given(
    dims=dims_st,
    volume_share=st.fractions(0, 1),
    quantity=st.one_of(st.integers(1, U32), st.sampled_from([1, U32])),
)
@example(dims=MAX_ENVELOPE, volume_share=1, quantity=U32)
@example(dims=FLOAT_TRAP, volume_share=1, quantity=1)
@example(dims=(1000, 1000, 1000), volume_share=1, quantity=1)  # exactly 1 mm3
@example(dims=(1000, 1000, 1001), volume_share=1, quantity=1)  # just above: 2 mm3
@example(dims=(1, 1, 1), volume_share=1, quantity=U32)
def test_build_space_price_and_fit_agree_with_quote(oracle, dims, volume_share, quantity) -> None:
    orders, big, _ = oracle
    box = units.box_mm3(dims)
    volume = min(U64, max(1, int(box * volume_share)))
    assert volume <= box
    fits, space, price = _contract(orders, big, dims, volume, quantity)
    assert space == units.build_space_mm3(dims, quantity)
    assert price == units.price_wei(U96, dims, quantity)
    assert fits == (units.fits(dims, MAX_ENVELOPE) and space <= U64)


@given(volume=st.integers(1, 6), quantity=st.integers(1, 2000),
       dims=st.sampled_from([(1000, 1000, 1000), (1000, 2000, 3000), (3000, 1000, 2000)]))
@example(volume=1, quantity=999, dims=(1000, 1000, 1000))  # 999 mm3 of space: 0.999 -> rounds up to 1
@example(volume=1, quantity=1000, dims=(1000, 1000, 1000))  # exactly 1
@example(volume=1, quantity=1001, dims=(1000, 1000, 1000))  # 1.001 -> 2
@example(volume=6, quantity=167, dims=(1000, 2000, 3000))  # 1,002 mm3 -> 2, whatever the volume
def test_price_rounds_up_like_the_contract(oracle, volume, quantity, dims) -> None:
    """The price is the build space's (box x quantity), rounded up; the declared volume plays no part."""
    orders, _, low = oracle
    volume = min(volume, units.box_mm3(dims))
    fits, space, price = _contract(orders, low, dims, volume, quantity)
    assert price == units.price_wei(1, dims, quantity)
    assert space == units.build_space_mm3(dims, quantity)
    assert fits == (units.fits(dims, LOW_ENVELOPE) and space <= LOW_CAPACITY)


@given(dims=st.tuples(st.integers(1, 4000), st.integers(1, 4000), st.integers(1, 4000)))
@example(dims=(3000, 2000, 1000))
@example(dims=(3001, 1, 1))
@example(dims=(2000, 2000, 1000))  # sorted (1000, 2000, 2000) fits
@example(dims=(2001, 2001, 1))  # two axes over 2000 cannot both go along z
def test_fit_in_any_orientation_agrees_with_quote(oracle, dims) -> None:
    orders, _, low = oracle
    fits, space, _ = _contract(orders, low, dims, 1, 1)
    assert fits == (units.fits(dims, LOW_ENVELOPE) and space <= LOW_CAPACITY)


def test_the_float_division_trap_is_gone(oracle) -> None:
    """ceil(x*y*z / 1e9) in floating point gives 4000000011 mm3 here; exact integers 4000000012."""
    orders, big, _ = oracle
    _, space, _ = _contract(orders, big, FLOAT_TRAP, 1, 1)
    assert space == 4_000_000_012 == units.build_space_mm3(FLOAT_TRAP, 1)
