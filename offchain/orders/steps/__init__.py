"""Every order step as one function over the deployed contracts and the offchain modules.

Scripts (``ape run order ...``) call these; tests call them directly too. Each step checks
what it can before spending gas (the contract's own checks also run first, in gas
estimation), raises a ProdnetError subclass with a sentence on failure, and returns a
``Step`` (tx hash, gas used) on success, or a Step marked ``already_done`` when re-run
after it had already happened.

The steps by concern, on a small shared base (``base``: the exceptions, the index lookups,
sending a step, the settings, the one-job step): ``keys``, ``registry``, ``terms`` (an
order's window, token and arbiter), ``book`` (orders), ``joining`` (jobs joining, leaving,
evicted), ``models``, ``delivery``, ``disputes`` and ``payments``. Callers import them from
here.
"""

from offchain.chain.client import Step
from offchain.orders.steps.base import (
    KeyLookupError,
    ModelMismatchError,
    RuleRefusalError,
    StepError,
    several_parts,
)
from offchain.orders.steps.book import cancel, close, open_order, request_order, take
from offchain.orders.steps.delivery import SHIPPED_STATES, confirm, finalize, reclaim, ship
from offchain.orders.steps.disputes import dispute, reject, resolve, settle
from offchain.orders.steps.joining import Quote, evict, join, leave, quote, quote_parts
from offchain.orders.steps.keys import published_key, register_key
from offchain.orders.steps.models import (
    FetchedModel,
    assembly_jobs,
    fetch_model,
    model_location,
    submit_model,
)
from offchain.orders.steps.payments import withdraw
from offchain.orders.steps.registry import register_machine
from offchain.orders.steps.terms import arbiter_terms

__all__ = [
    "SHIPPED_STATES",
    "FetchedModel",
    "KeyLookupError",
    "ModelMismatchError",
    "Quote",
    "RuleRefusalError",
    "Step",
    "StepError",
    "arbiter_terms",
    "assembly_jobs",
    "cancel",
    "close",
    "confirm",
    "dispute",
    "evict",
    "fetch_model",
    "finalize",
    "join",
    "leave",
    "model_location",
    "open_order",
    "published_key",
    "quote",
    "quote_parts",
    "reclaim",
    "register_key",
    "register_machine",
    "reject",
    "request_order",
    "resolve",
    "settle",
    "several_parts",
    "ship",
    "submit_model",
    "take",
    "withdraw",
]
