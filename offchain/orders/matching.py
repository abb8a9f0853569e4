"""Supply <-> demand: which open orders a demand can join, and which demands an order can take.

Units are the chain's: lengths in micrometres, volumes in mm3, times in unix seconds,
prices in wei (or token units) per cm3, all integers, so a match here is decided by
the same arithmetic as on chain (``offchain.parts.units``: box_mm3, build_space_mm3, price_wei mirror the
contracts' PartMath). Prices must fit a signed 64-bit integer here (9.2e18 wei per cm3).

A demand D can join an order O when all of these hold:

* same material;
* the part fits the envelope: D's sorted dimensions are each <= O's sorted envelope
  (any axis-aligned orientation);
* D's build space (bounding-box volume x quantity, see ``offchain.parts.units.build_space_mm3``)
  is <= O's space left;
* O's price per cm3 <= D's maximum price per cm3;
* O's delivery deadline <= D's deadline;
* O's window is running: ``window start <= now < window end``;
* O has a job slot left (``jobs_left``; the contract caps the live jobs of an order and the
  job ids it gives out).

A demand's cost is the price of its build space (``price_wei``), as the contract charges it:
the declared part volume does not lower it.

An assembly (several parts joined in one transaction, one job per part: ``assembly_offers``)
is a set of demands that must all go to the same order: an order takes it when its packing
of those demands alone takes every one, i.e. each part fits on its own (envelope, price,
deadline, window), their build spaces together fit the space left, and the order has a
job slot for each part. Its cost is the sum of each part's cost, as each part is priced as
its own join.

A demand's offers are ranked by price, then earliest delivery, then best fit (the
smallest envelope that holds the part, i.e. the least wasted envelope), then order id.
An order's packing takes its candidate demands first-fit decreasing by build space
(ties by demand id): a volume bound, not geometric nesting. Several orders may list the
same demand: packings are per order, not an assignment.

The engine keeps both sides as columns sorted once (orders by material and rank,
demands by material and build space, largest first), then compares one block of
demands against all orders of their material at a time, so memory stays bounded
however many pairs there are. Ranked offers fall out of the row-major scan of each
block; packings follow from a "next candidate" table per block, one vectorised step
per demand taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from offchain.errors import ProdnetError
from offchain.parts.units import UINT32_MAX, UM3_PER_MM3, box_mm3, build_space_mm3, space_price_wei

INT64_MAX = 2**63 - 1
BLOCK_CELLS = 1 << 22  # demand x order cells compared at once (a few tens of MB)
PACKING_BOUND = (
    "volume bound: the sum of build space (bounding box x quantity) fits the space left; "
    "not geometric nesting, the producer still has to arrange the parts"
)


class MatchingInputError(ProdnetError):
    """An order or demand given to the matcher is not well formed."""


@dataclass(frozen=True)
class Order:
    """An open order's capacity, as the chain reports it."""

    id: int
    producer: str
    material: str
    envelope_um: tuple[int, int, int]
    space_left_mm3: int
    window: tuple[int, int]
    delivery: int
    price_per_cm3: int
    jobs_left: int | None = None  # job slots left on chain; None: no limit


@dataclass(frozen=True)
class Demand:
    """A customer's part looking for capacity."""

    id: int
    material: str
    dims_um: tuple[int, int, int]
    part_volume_mm3: int
    quantity: int
    deadline: int
    max_price_per_cm3: int

    @property
    def build_space_mm3(self) -> int:
        return build_space_mm3(self.dims_um, self.quantity)


@dataclass(frozen=True)
class Offer:
    """One order a demand can join, with what it would cost."""

    order_id: int
    producer: str
    price_per_cm3: int
    delivery: int
    waste_mm3: int
    cost: int
    part_costs: tuple[int, ...] = ()  # an assembly's: each part's cost, in the demands' order


@dataclass(frozen=True)
class Packing:
    """The demands one order takes, largest build space first."""

    order_id: int
    demand_ids: tuple[int, ...]
    space_used_mm3: int
    space_left_mm3: int
    candidates: int
    bound: str = PACKING_BOUND


def _int(value: object, what: str, low: int = 0, high: int = INT64_MAX) -> int:
    if type(value) is int and low <= value <= high:  # the common case, without the checks below
        return value
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise MatchingInputError(f"{what} must be an integer, got {value!r}")
    number = int(value)
    if not low <= number <= high:
        raise MatchingInputError(f"{what} must be between {low} and {high}, got {number}")
    return number


def _dims(value: object, what: str) -> tuple[int, int, int]:
    if type(value) is tuple and len(value) == 3:  # the common case: three plain ints in range
        x, y, z = value
        plain = type(x) is int and type(y) is int and type(z) is int
        if plain and min(x, y, z) >= 1 and max(x, y, z) <= UINT32_MAX:
            if x > y:
                x, y = y, x
            if y > z:
                y, z = z, y
            if x > y:
                x, y = y, x
            return x, y, z
    if not isinstance(value, tuple | list) or len(value) != 3:
        raise MatchingInputError(f"{what} must be three integers (x, y, z in um), got {value!r}")
    x, y, z = sorted(_int(v, what, 1, UINT32_MAX) for v in value)
    return x, y, z


def _material(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MatchingInputError(f"{what} must be a non-empty material name, got {value!r}")
    return value


def _unique(ids: list[int], kind: str) -> dict[int, int]:
    index: dict[int, int] = {}
    for position, ident in enumerate(ids):
        if ident in index:
            raise MatchingInputError(f"{kind} id {ident} appears twice; ids must be unique")
        index[ident] = position
    return index


def _slices(materials: list[str]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for position, name in enumerate(materials):
        start, _ = out.get(name, (position, position))
        out[name] = (start, position + 1)
    return out


def _column(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


@dataclass(frozen=True)
class OrderBook:
    """Open orders as columns, sorted by (material, price, delivery, envelope, id). Built from
    Order objects (``build``) or straight from columns (``from_columns``: the index's, no
    object per order; ``orders`` then makes each Order when asked)."""

    orders: Sequence[Order]
    slices: dict[str, tuple[int, int]]
    index: dict[int, int]
    ids: np.ndarray
    producers: Sequence[str]
    env: tuple[np.ndarray, np.ndarray, np.ndarray]
    env_box: np.ndarray
    space: np.ndarray
    start: np.ndarray
    end: np.ndarray
    delivery: np.ndarray
    price: np.ndarray
    slots: np.ndarray

    @classmethod
    def build(cls, orders: Iterable[Order]) -> OrderBook:
        rows = []
        for order in orders:
            what = f"order {order.id!r}"
            ident = _int(order.id, f"{what}: id")
            material = _material(order.material, f"{what}: material")
            env = _dims(order.envelope_um, f"{what}: envelope")
            if not isinstance(order.window, tuple | list) or len(order.window) != 2:
                raise MatchingInputError(f"{what}: window must be (start, end) unix seconds")
            start = _int(order.window[0], f"{what}: window start")
            end = _int(order.window[1], f"{what}: window end")
            if end < start:
                raise MatchingInputError(f"{what}: window ends ({end}) before it starts ({start})")
            box = box_mm3(env)
            if box > INT64_MAX:
                raise MatchingInputError(f"{what}: envelope of {box} mm3 is too large")
            slots = INT64_MAX if order.jobs_left is None else _int(order.jobs_left, f"{what}: jobs left")
            rows.append((
                material,
                _int(order.price_per_cm3, f"{what}: price per cm3"),
                _int(order.delivery, f"{what}: delivery deadline"),
                box, ident, env, _int(order.space_left_mm3, f"{what}: space left"), end, order,
                start, slots,
            ))
        rows.sort(key=lambda r: r[:5])
        _unique([r[4] for r in rows], "order")
        return cls(
            orders=tuple(r[8] for r in rows),
            slices=_slices([r[0] for r in rows]),
            index={r[4]: i for i, r in enumerate(rows)},
            ids=_column([r[4] for r in rows]),
            producers=tuple(r[8].producer for r in rows),
            env=(
                _column([r[5][0] for r in rows]),
                _column([r[5][1] for r in rows]),
                _column([r[5][2] for r in rows]),
            ),
            env_box=_column([r[3] for r in rows]),
            space=_column([r[6] for r in rows]),
            start=_column([r[9] for r in rows]),
            end=_column([r[7] for r in rows]),
            delivery=_column([r[2] for r in rows]),
            price=_column([r[1] for r in rows]),
            slots=_column([r[10] for r in rows]),
        )

    def __len__(self) -> int:
        return len(self.orders)

    @classmethod
    def from_columns(cls, columns: OrderColumns) -> OrderBook:
        """The book of COLUMNS, checked and sorted as ``build`` does, in numpy."""
        c = columns
        n = len(c.ids)
        ids = _checked(c.ids, n, "id", c.ids)
        env = np.sort(_checked(c.envelope_um, n, "envelope", ids, low=1, high=UINT32_MAX), axis=1)
        start = _checked(c.start, n, "window start", ids)
        end = _checked(c.end, n, "window end", ids)
        if n and (end < start).any():
            bad = int(np.flatnonzero(end < start)[0])
            raise MatchingInputError(
                f"order {ids[bad]}: window ends ({end[bad]}) before it starts ({start[bad]})"
            )
        space = _checked(c.space_left_mm3, n, "space left", ids)
        delivery = _checked(c.delivery, n, "delivery deadline", ids)
        price = _checked(c.price_per_cm3, n, "price per cm3", ids)
        slots = _checked(c.jobs_left, n, "jobs left", ids)
        if len(c.producers) != n or len(c.materials) != n:
            raise MatchingInputError(f"order columns of different lengths ({n} ids)")
        names = sorted(set(c.materials))
        for name in names:
            _material(name, "an order's material")
        code_of = {name: code for code, name in enumerate(names)}
        codes = np.fromiter((code_of[m] for m in c.materials), dtype=np.int64, count=n)
        box = _boxes(env, ids)
        rank = np.lexsort((ids, box, delivery, price, codes))
        ids_sorted = ids[rank]
        if n and (np.diff(np.sort(ids)) == 0).any():
            twice = np.sort(ids)[1:][np.diff(np.sort(ids)) == 0][0]
            raise MatchingInputError(f"order id {twice} appears twice; ids must be unique")
        sorted_codes = codes[rank]
        bounds = np.searchsorted(sorted_codes, np.arange(len(names) + 1), "left").tolist()
        slices = {name: (bounds[code], bounds[code + 1]) for code, name in enumerate(names)}
        env_sorted = env[rank]
        return cls(
            orders=_OrderRows(c, rank),
            slices=slices,
            index=dict(zip(ids_sorted.tolist(), range(n), strict=True)),
            ids=ids_sorted,
            producers=[c.producers[i] for i in rank.tolist()],
            env=(env_sorted[:, 0].copy(), env_sorted[:, 1].copy(), env_sorted[:, 2].copy()),
            env_box=box[rank],
            space=space[rank],
            start=start[rank],
            end=end[rank],
            delivery=delivery[rank],
            price=price[rank],
            slots=slots[rank],
        )


@dataclass(frozen=True)
class OrderColumns:
    """Open orders as columns, one entry per order (e.g. read from the market index at once):
    what ``Order`` holds, with the envelope as an (n, 3) array in um."""

    ids: np.ndarray
    producers: Sequence[str]
    materials: Sequence[str]
    envelope_um: np.ndarray
    space_left_mm3: np.ndarray
    start: np.ndarray
    end: np.ndarray
    delivery: np.ndarray
    price_per_cm3: np.ndarray
    jobs_left: np.ndarray


class _OrderRows(Sequence[Order]):
    """The orders of a book built from columns, in book order, each made when asked."""

    def __init__(self, columns: OrderColumns, rank: np.ndarray) -> None:
        self.columns, self.rank = columns, rank

    def __len__(self) -> int:
        return len(self.rank)

    def __getitem__(self, position):  # type: ignore[no-untyped-def, override]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        c, i = self.columns, int(self.rank[position])
        x, y, z = (int(v) for v in c.envelope_um[i])
        return Order(
            id=int(c.ids[i]),
            producer=c.producers[i],
            material=c.materials[i],
            envelope_um=(x, y, z),
            space_left_mm3=int(c.space_left_mm3[i]),
            window=(int(c.start[i]), int(c.end[i])),
            delivery=int(c.delivery[i]),
            price_per_cm3=int(c.price_per_cm3[i]),
            jobs_left=int(c.jobs_left[i]),
        )


def _checked(
    values: np.ndarray, n: int, what: str, ids: np.ndarray, low: int = 0, high: int = INT64_MAX
) -> np.ndarray:
    """VALUES as int64 (n entries, or n rows), each from LOW to HIGH; else the first order's
    error, worded as ``build`` words it."""
    column = np.asarray(values)
    if column.dtype.kind not in "iu" or len(column) != n:
        raise MatchingInputError(f"order {what}s must be {n} integers, got {column.dtype} x {len(column)}")
    if column.dtype.kind == "u" and n and column.max() > INT64_MAX:
        bad = int(np.flatnonzero(column.reshape(n, -1).max(axis=1) > INT64_MAX)[0])
        raise MatchingInputError(f"order {ids[bad]}: {what} must be between {low} and {high}")
    column = column.astype(np.int64, copy=False)
    if n:
        rows = column.reshape(n, -1)
        wrong = (rows < low).any(axis=1) | (rows > high).any(axis=1)
        if wrong.any():
            bad = int(np.flatnonzero(wrong)[0])
            raise MatchingInputError(
                f"order {ids[bad]}: {what} must be between {low} and {high}, got {column[bad].tolist()}"
            )
    return column


def _boxes(env: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """box_mm3 of each sorted envelope row, exactly (int64 while x*y*z fits, else Python ints)."""
    if not len(env) or float(np.prod(env.astype(np.float64), axis=1).max()) < 2.0**62:
        product = env[:, 0] * env[:, 1] * env[:, 2]
        return -(-product // UM3_PER_MM3)
    boxes = [box_mm3(row) for row in env.tolist()]
    for i, box in enumerate(boxes):
        if box > INT64_MAX:
            raise MatchingInputError(f"order {ids[i]}: envelope of {box} mm3 is too large")
    return np.asarray(boxes, dtype=np.int64)


@dataclass(frozen=True)
class DemandBook:
    """Demands as columns, sorted by (material, build space descending, id)."""

    demands: tuple[Demand, ...]
    slices: dict[str, tuple[int, int]]
    index: dict[int, int]
    dims: tuple[np.ndarray, np.ndarray, np.ndarray]
    box: np.ndarray
    space: np.ndarray
    deadline: np.ndarray
    max_price: np.ndarray

    @classmethod
    def build(cls, demands: Iterable[Demand]) -> DemandBook:
        rows = []
        for demand in demands:
            what = f"demand {demand.id!r}"
            ident = _int(demand.id, f"{what}: id")
            material = _material(demand.material, f"{what}: material")
            dims = _dims(demand.dims_um, f"{what}: dimensions")
            quantity = _int(demand.quantity, f"{what}: quantity", 1, UINT32_MAX)
            volume = _int(demand.part_volume_mm3, f"{what}: part volume", low=1)
            box = box_mm3(dims)
            if volume > box:
                raise MatchingInputError(
                    f"{what}: part volume {volume} mm3 is larger than its bounding box ({box} mm3)"
                )
            space = box * quantity
            if space > INT64_MAX:
                raise MatchingInputError(f"{what}: build space of {space} mm3 is too large")
            rows.append((
                material, -space, ident, dims, box,
                _int(demand.deadline, f"{what}: deadline"),
                _int(demand.max_price_per_cm3, f"{what}: max price per cm3"), demand,
            ))
        rows.sort(key=lambda r: r[:3])
        _unique([r[2] for r in rows], "demand")
        return cls(
            demands=tuple(r[7] for r in rows),
            slices=_slices([r[0] for r in rows]),
            index={r[2]: i for i, r in enumerate(rows)},
            dims=(
                _column([r[3][0] for r in rows]),
                _column([r[3][1] for r in rows]),
                _column([r[3][2] for r in rows]),
            ),
            box=_column([r[4] for r in rows]),
            space=_column([-r[1] for r in rows]),
            deadline=_column([r[5] for r in rows]),
            max_price=_column([r[6] for r in rows]),
        )

    def __len__(self) -> int:
        return len(self.demands)


@dataclass(frozen=True, eq=False)
class Match:
    """Every demand's ranked offers and every order's packing (indices into the books)."""

    orders: OrderBook
    demands: DemandBook
    offer_ptr: np.ndarray  # demand book position -> slice of offer_orders
    offer_orders: np.ndarray  # order book positions, ranked per demand
    pack_ptr: np.ndarray  # order book position -> slice of pack_demands
    pack_demands: np.ndarray  # demand book positions, in packing order per order
    candidates: np.ndarray  # per order book position: demands it could take alone

    @property
    def pairs(self) -> int:
        """How many (demand, order) offers are listed in total."""
        return len(self.offer_orders)

    def offers_for(self, demand_id: int) -> list[Offer]:
        """The orders demand DEMAND_ID can join, best first."""
        if demand_id not in self.demands.index:
            raise MatchingInputError(f"demand {demand_id} is not in this match")
        d = self.demands.index[demand_id]
        space = self.demands.demands[d].build_space_mm3
        book = self.orders
        ranked = self.offer_orders[self.offer_ptr[d]:self.offer_ptr[d + 1]]
        producers = book.producers
        return [
            Offer(
                order_id=order_id,
                producer=producers[o],
                price_per_cm3=price,
                delivery=delivery,
                waste_mm3=waste,
                cost=space_price_wei(price, space),
            )
            for o, order_id, price, delivery, waste in zip(
                ranked.tolist(),
                book.ids[ranked].tolist(),
                book.price[ranked].tolist(),
                book.delivery[ranked].tolist(),
                (book.env_box[ranked] - self.demands.box[d]).tolist(),
                strict=True,
            )
        ]

    def packing_for(self, order_id: int) -> Packing:
        """What order ORDER_ID takes, first-fit decreasing on build space."""
        if order_id not in self.orders.index:
            raise MatchingInputError(f"order {order_id} is not in this match")
        o = self.orders.index[order_id]
        taken = self.pack_demands[self.pack_ptr[o]:self.pack_ptr[o + 1]]
        used = int(self.demands.space[taken].sum()) if len(taken) else 0
        return Packing(
            order_id=order_id,
            demand_ids=tuple(self.demands.demands[d].id for d in taken.tolist()),
            space_used_mm3=used,
            space_left_mm3=int(self.orders.space[o]) - used,
            candidates=int(self.candidates[o]),
        )


def match(
    orders: OrderBook, demands: DemandBook, now: int, limit: int | None = None,
    block_cells: int = BLOCK_CELLS,
) -> Match:
    """Rank every demand's offers (at most LIMIT each) and pack every order, at time NOW.

    BLOCK_CELLS bounds how many (demand, order) pairs are compared at once.
    """
    now = _int(now, "now")
    block_cells = _int(block_cells, "block_cells", low=1)
    if limit is not None:
        limit = _int(limit, "limit", low=1)
    offer_counts = np.zeros(len(demands), dtype=np.int64)
    offer_cols: list[np.ndarray] = []
    take_orders: list[np.ndarray] = []
    take_demands: list[np.ndarray] = []
    candidates = np.zeros(len(orders), dtype=np.int64)
    for material, (d_start, d_stop) in demands.slices.items():
        if material not in orders.slices:
            continue
        o_start, o_stop = orders.slices[material]
        span = slice(o_start, o_stop)
        running = (orders.start[span] <= now) & (now < orders.end[span]) & (orders.slots[span] > 0)
        cols = np.arange(o_start, o_stop, dtype=np.int32)[running]
        if not len(cols):
            continue
        side = _OrderColumns(orders, cols)
        step = max(1, block_cells // len(cols))
        for start in range(d_start, d_stop, step):
            rows = slice(start, min(d_stop, start + step))
            mask = side.compatible(demands, rows)
            # Row-major: each demand's orders come out in rank order, as book positions.
            ranked = np.broadcast_to(cols, mask.shape)[mask]
            counts = np.count_nonzero(mask, axis=1)
            if limit is not None:
                first = np.repeat(np.cumsum(counts) - counts, counts)
                ranked = ranked[np.arange(len(ranked)) - first < limit]
                counts = np.minimum(counts, limit)
            offer_counts[rows] = counts
            offer_cols.append(ranked)
            candidates[cols] += np.count_nonzero(mask, axis=0)
            t_cols, t_rows = _pack_block(mask, demands.space[rows], side.remaining, side.slots)
            take_orders.append(cols[t_cols])
            take_demands.append(t_rows + start)
    offer_ptr = np.concatenate([[0], np.cumsum(offer_counts)])
    pack_order = _concat(take_orders)
    by_order = np.argsort(pack_order, kind="stable")
    pack_ptr = np.searchsorted(pack_order[by_order], np.arange(len(orders) + 1))
    return Match(
        orders=orders,
        demands=demands,
        offer_ptr=offer_ptr,
        offer_orders=_concat(offer_cols),
        pack_ptr=pack_ptr,
        pack_demands=_concat(take_demands)[by_order],
        candidates=candidates,
    )


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)


class _OrderColumns:
    """The open orders of one material, contiguous, and their remaining space while packing."""

    def __init__(self, book: OrderBook, cols: np.ndarray) -> None:
        self.e0, self.e1, self.e2 = (axis[cols] for axis in book.env)
        self.space = book.space[cols]
        self.price = book.price[cols]
        self.delivery = book.delivery[cols]
        self.remaining = self.space.copy()
        self.slots = book.slots[cols]  # a copy: decremented while packing

    def compatible(self, book: DemandBook, rows: slice) -> np.ndarray:
        """(demands in ROWS) x (these orders): can the demand join the order."""
        d0, d1, d2 = (axis[rows, None] for axis in book.dims)
        mask = np.greater_equal(self.e0, d0)
        scratch = np.empty_like(mask)
        for ours, theirs in (
            (self.e1, d1), (self.e2, d2), (self.space, book.space[rows, None]),
            (book.max_price[rows, None], self.price), (book.deadline[rows, None], self.delivery),
        ):
            mask &= np.greater_equal(ours, theirs, out=scratch)
        return mask


def _pack_block(
    mask: np.ndarray, space: np.ndarray, remaining: np.ndarray, slots: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First-fit decreasing over one block of demands (SPACE sorted largest first).

    For every order (column) at once: take the first candidate row, after the last one
    taken, whose build space fits the order's REMAINING space (updated in place). Rows
    that fit form a suffix (space is sorted), found by binary search; "first candidate
    at or after row j" comes from a reverse running minimum over the mask. An order
    stops when its job SLOTS (updated in place) run out. Returns (columns, rows) of the
    demands taken, in order.
    """
    n_rows, n_cols = mask.shape
    column = np.flatnonzero(mask.any(axis=0) & (slots > 0))  # each lane's order column
    if not len(column):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if 2 * len(column) < n_cols:  # few orders have candidates: a narrower table pays
        mask = mask[:, column]
        lane = np.arange(len(column))  # each lane's column in the table
    else:
        lane = column
    # following[j, c]: first candidate row >= j in column c (n_rows if none). A loop over
    # rows of whole-row minimums is ~10x faster than minimum.accumulate along axis 0.
    index = np.int16 if n_rows < np.iinfo(np.int16).max else np.int32
    marks = np.where(mask, np.arange(n_rows, dtype=index)[:, None], index(n_rows))
    following = np.empty((n_rows + 1, mask.shape[1]), dtype=index)
    following[n_rows] = n_rows
    for j in range(n_rows - 1, -1, -1):
        np.minimum(marks[j], following[j + 1], out=following[j])
    del marks
    ascending = -space
    position = np.zeros(len(lane), dtype=np.int64)
    got_cols: list[np.ndarray] = []
    got_rows: list[np.ndarray] = []
    while len(lane):
        fits_from = np.searchsorted(ascending, -remaining[column], side="left")
        row = following[np.maximum(position, fits_from), lane]
        found = row < n_rows
        lane, column, position = lane[found], column[found], position[found]
        row = row[found].astype(np.int64)
        if not len(lane):
            break
        remaining[column] -= space[row]
        slots[column] -= 1
        got_cols.append(column)
        got_rows.append(row)
        position = row + 1
        more = slots[column] > 0
        lane, column, position = lane[more], column[more], position[more]
    if not got_cols:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(got_cols), np.concatenate(got_rows)


def offers_for(demand: Demand, orders: Iterable[Order], now: int, limit: int | None = None
               ) -> list[Offer]:
    """The orders DEMAND can join at NOW, best first (one-off query)."""
    return offers_in(OrderBook.build(orders), demand, now, limit)


def offers_in(book: OrderBook, demand: Demand, now: int, limit: int | None = None) -> list[Offer]:
    """The orders of BOOK that DEMAND can join at NOW, best first."""
    return match(book, DemandBook.build([demand]), now, limit).offers_for(demand.id)


def assembly_offers(book: OrderBook, parts: Sequence[Demand], now: int) -> list[Offer]:
    """The orders of BOOK that take every one of PARTS (one assembly, each part its own job) at
    NOW, best first (the order book's rank); each offer's cost is the sum of the parts' costs
    (``part_costs`` each, in PARTS' order) and its unused envelope the one beside the largest
    part. One part is ``offers_in``."""
    if not parts:
        raise MatchingInputError("an assembly needs at least one part")
    result = match(book, DemandBook.build(parts), now)
    each = {d.id: {o.order_id: o for o in result.offers_for(d.id)} for d in parts}
    wanted = {d.id for d in parts}
    offers = []
    for offer in each[parts[0].id].values():  # in rank order
        if set(result.packing_for(offer.order_id).demand_ids) != wanted:
            continue
        costs = tuple(each[d.id][offer.order_id].cost for d in parts)
        offers.append(Offer(
            order_id=offer.order_id, producer=offer.producer, price_per_cm3=offer.price_per_cm3,
            delivery=offer.delivery, waste_mm3=min(each[d.id][offer.order_id].waste_mm3 for d in parts),
            cost=sum(costs), part_costs=costs,
        ))
    return offers


def packing_for(order: Order, demands: Iterable[Demand], now: int) -> Packing:
    """The demands ORDER can take at NOW, first-fit decreasing (one-off query)."""
    result = match(OrderBook.build([order]), DemandBook.build(demands), now)
    return result.packing_for(order.id)
