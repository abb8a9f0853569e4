"""Which steps each side may take next on an order or a job, by state: the contract's
state machine (docs/DESIGN.md, "The contract state machine") read from one side. The
portal shows these as buttons; the steps themselves still check everything."""

from __future__ import annotations

from offchain.chain.codec import JobStatus, OrderStatus

PRODUCER_ORDER_MOVES: dict[int, tuple[str, ...]] = {
    OrderStatus.OPEN: ("close", "cancel"),
    OrderStatus.CLOSED: ("cancel",),
}
CUSTOMER_JOB_MOVES: dict[int, tuple[str, ...]] = {
    JobStatus.JOINED: ("leave", "submit-model", "reclaim"),
    JobStatus.MODEL_SUBMITTED: ("reclaim",),
    JobStatus.SHIPPED: ("confirm",),
}
PRODUCER_JOB_MOVES: dict[int, tuple[str, ...]] = {
    JobStatus.MODEL_SUBMITTED: ("fetch-model", "ship"),
    JobStatus.SHIPPED: ("finalize",),
}


def order_moves(status: int, is_producer: bool) -> tuple[str, ...]:
    """The producer's next steps on an order (take, for a requested order, is anyone's)."""
    if status == OrderStatus.REQUESTED:
        return ("take",)
    return PRODUCER_ORDER_MOVES.get(status, ()) if is_producer else ()


def job_moves(order_status: int, job_status: int, is_producer: bool, is_customer: bool) -> tuple[str, ...]:
    """The next steps on a job for whoever is looking (producer and customer may be one)."""
    moves: list[str] = []
    if is_producer:
        moves += PRODUCER_JOB_MOVES.get(job_status, ())
    if is_customer:
        for move in CUSTOMER_JOB_MOVES.get(job_status, ()):
            if move == "leave" and order_status != OrderStatus.OPEN:
                continue
            if move == "submit-model" and order_status != OrderStatus.CLOSED:
                continue
            moves.append(move)
    return tuple(moves)
