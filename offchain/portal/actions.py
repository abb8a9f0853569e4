"""Each form of the portal as a call of the same library function as its ``ape run order``
twin. Fields are read with the CLI's own parsers (same rules, same sentences); the steps
do every check; this module only moves values from the form to the call."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from offchain.chain.client import Chain, Step, pending_timestamp
from offchain.chain.codec import ZERO_ADDRESS, dims_of
from offchain.cli import files, params
from offchain.cli import quantities as q
from offchain.errors import ProdnetError
from offchain.orders import previews, steps
from offchain.parts.model import sniff
from offchain.portal.workspace import StoredPart, Workspace
from offchain.transfer import keys, storage

Form = Mapping[str, str]


class FormError(ProdnetError):
    """A field of the form is missing or cannot be read."""


@dataclass
class Context:
    chain: Chain
    workspace: Workspace
    ipfs_api: str | None
    file_store: str | None
    chain_key: str
    owner: str = ""  # the acting account (what it drops and makes is recorded as its own)
    published: dict[str, str] = field(default_factory=dict)  # account -> its fingerprint on chain
    progress: Callable[[str, int, int], None] = lambda what, done, total: None


@dataclass
class Outcome:
    lines: list[str]
    go_to: str | None = None  # a page to show next (an order that was just created)
    steps: list[Step] = field(default_factory=list)


def _text(form: Form, name: str, label: str, required: bool = True) -> str:
    value = (form.get(name) or "").strip()
    if required and not value:
        raise FormError(f"{label}: this field is required")
    return value


def _number(form: Form, name: str, label: str, kind: click.ParamType = params.ID) -> int:
    value = _text(form, name, label)
    try:
        return int(kind.convert(value, None, None))
    except click.BadParameter as exc:
        raise FormError(f"{label}: {exc.message}") from None


def _token(form: Form) -> str:
    value = _text(form, "token", "token", required=False)
    if not value:
        return ZERO_ADDRESS
    return _address(form, "token", "token")


def _address(form: Form, name: str, label: str) -> str:
    try:
        return str(params.ADDRESS.convert(_text(form, name, label), None, None))
    except click.BadParameter as exc:
        raise FormError(f"{label}: {exc.message}") from None


def _arbiter(form: Form) -> str | None:
    """The arbiter an order is opened or requested with (public deployments), or None."""
    return _address(form, "arbiter", "arbiter") if _text(form, "arbiter", "arbiter", required=False) else None


def _optional(form: Form, name: str, parse: Callable[[str], Any]) -> Any:
    value = _text(form, name, name, required=False)
    return parse(value) if value else None


def _step(step: Step) -> Outcome:
    return Outcome([step.line()], steps=[step])


def _own_key(ctx: Context, form: Form, name: str, kind: str, label: str) -> Path:
    """The key file the form names, if it is the acting account's (``Workspace.key_choices``):
    another account's key is never used, whatever the form says."""
    chosen = _text(form, name, label)
    if chosen not in {k for k, _ in ctx.workspace.key_choices(kind, ctx.owner, ctx.published)}:
        raise FormError(
            f"{label}: {chosen} is not one of this account's keys (it is another account's, or not a key): "
            "choose one of yours, or make one on your account page"
        )
    return ctx.workspace.key_path(chosen, kind)


def _order_job(form: Form) -> tuple[int, int]:
    return _number(form, "order", "order id"), _number(form, "job", "job id")


# -- producer ------------------------------------------------------------------------


def generate_key(ctx: Context, form: Form) -> Outcome:
    """Make a new OpenPGP key pair in the key folder (the secret key stays there)."""
    name = _text(form, "name", "key name")
    email = _text(form, "email", "e-mail")
    passphrase = form.get("key_passphrase") or None
    key = keys.generate_key(name, email, passphrase)
    # the key keeps the name as typed ("Acme Corp"); its files a name the key folder can hold
    file_name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:64] or "key"
    pub, sec = keys.write_key_files(key, ctx.workspace.key_folder, file_name)
    if ctx.owner:
        ctx.workspace.record_key_owner(file_name, ctx.owner)
    return Outcome([f"key {keys.fingerprint(key)}: {pub.name} and {sec.name} written to {pub.parent}"])


def register_key(ctx: Context, form: Form) -> Outcome:
    return _step(steps.register_key(ctx.chain, _own_key(ctx, form, "public_key", "pub", "public key")))


def register_machine(ctx: Context, form: Form) -> Outcome:
    step = steps.register_machine(
        ctx.chain,
        _text(form, "process", "process"),
        _text(form, "material", "material"),
        q.dims_um(_text(form, "envelope", "envelope")),
        _text(form, "metadata_uri", "metadata URI", required=False),
    )
    return _step(step)


def open_order(ctx: Context, form: Form) -> Outcome:
    now = pending_timestamp()
    step = steps.open_order(
        ctx.chain,
        _number(form, "machine", "machine id"),
        _optional(form, "envelope", q.dims_um),
        _optional(form, "capacity", q.volume_mm3),
        q.timestamp(_text(form, "start", "window start", required=False) or "now", now),
        q.timestamp(_text(form, "end", "window end"), now),
        q.timestamp(_text(form, "delivery", "delivery deadline"), now),
        q.token_amount(_text(form, "price", "price per cm3")),
        _token(form),
        arbiter=_arbiter(form),
    )
    return Outcome([step.line()], go_to=f"/orders/{step.data['order_id']}", steps=[step])


def take(ctx: Context, form: Form) -> Outcome:
    step = steps.take(
        ctx.chain,
        _number(form, "order", "order id"),
        _number(form, "machine", "machine id"),
        _optional(form, "envelope", q.dims_um),
        _optional(form, "capacity", q.volume_mm3),
        q.token_amount(_text(form, "price", "price per cm3")),
    )
    return _step(step)


def close(ctx: Context, form: Form) -> Outcome:
    return _step(steps.close(ctx.chain, _number(form, "order", "order id")))


def cancel(ctx: Context, form: Form) -> Outcome:
    return _step(steps.cancel(ctx.chain, _number(form, "order", "order id")))


def evict(ctx: Context, form: Form) -> Outcome:
    """The producer removes a job without a model from its open order, refunded in full."""
    order_id, job_id = _order_job(form)
    return _step(steps.evict(ctx.chain, order_id, [job_id]))


def fetch_model(ctx: Context, form: Form) -> Outcome:
    """Fetch, verify and decrypt a job's model into the folder the user chose. An assembly's
    model (one file for its jobs) is checked part by part against every job and recorded as
    verified for each; it is saved under the name of its format (``.stl``, ``.3mf``, ``.obj``)."""
    order_id, job_id = _order_job(form)
    secret = _own_key(ctx, form, "secret_key", "sec", "secret key")
    folder = Path(_text(form, "folder", "folder to save the model in")).expanduser()
    if not folder.is_dir():
        raise FormError(f"{folder} is not a folder: create it first or choose another one")
    out = files.check_output(folder / f"order{order_id}-job{job_id}.model", (secret,), force=False)
    ipfs_api = _text(form, "ipfs_api", "IPFS API", required=False) or ctx.ipfs_api
    ctx.progress("fetching and decrypting", 0, 1)
    fetched = steps.fetch_model(
        ctx.chain,
        order_id,
        job_id,
        secret,
        out,
        passphrase=form.get("key_passphrase") or None,
        ipfs_api=ipfs_api,
    )
    path = _named_by_format(fetched.path, secret)
    each = fetched.parts or ((job_id, "", fetched.part),)
    for jid, _, part in each:
        x, y, z = part.bbox_mm
        ctx.workspace.record_fetch(ctx.chain_key, order_id, jid, {
            "path": str(path),
            "uri": fetched.uri,
            "sha256": fetched.sha256,
            "signer": fetched.signer,
            "bbox_mm": [x, y, z],
            "volume_mm3": part.volume_mm3,
            "matches": True,
        })
    checked = (
        "matches the public data on chain" if len(each) == 1
        else f"its {len(each)} parts match the public data of jobs {', '.join(str(j) for j, _, _ in each)}"
    )
    return Outcome(
        [
            f"job {job_id} of order {order_id}: sha256 {fetched.sha256[:16]}… verified, decrypted, "
            f"signed by {fetched.signer[:16]}…, {checked}",
            f"saved to {path}",
        ]
    )


def _named_by_format(path: Path, keep: Path) -> Path:
    """PATH renamed to the extension of its format (read from its content, as every reader
    does), unless a file of that name exists already (then it stays as it is)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 10)
    named = path.with_suffix("." + sniff(head, path.stat().st_size))
    try:
        files.check_output(named, (keep,), force=False)
    except ProdnetError:
        return path
    path.rename(named)
    return named


def produce(ctx: Context, form: Form) -> Outcome:
    """Print a job on one of the order's machine's printers (``order produce``): the model
    fetched, verified, decrypted, sliced, uploaded and started; nothing sent on chain. Once per
    job: the shop's record answers a second try with the print already started."""
    from offchain.shop import produce as shop

    order_id, job_id = _order_job(form)
    ctx.progress("fetching, decrypting, slicing and starting the print", 0, 1)
    started = shop.produce(
        ctx.chain, order_id, job_id, _text(form, "printer", "printer"),
        _own_key(ctx, form, "secret_key", "sec", "secret key"),
        passphrase=form.get("key_passphrase") or None, ipfs_api=ctx.ipfs_api,
        retry=form.get("retry") == "yes",
    )
    return Outcome([started.summary])


def ship(ctx: Context, form: Form) -> Outcome:
    """Ship a job (refused while its print runs, ``shop.produce.ship``)."""
    from offchain.shop import produce as shop

    return _step(shop.ship(ctx.chain, *_order_job(form)))


def finalize(ctx: Context, form: Form) -> Outcome:
    return _step(steps.finalize(ctx.chain, *_order_job(form)))


def reject(ctx: Context, form: Form) -> Outcome:
    return _step(steps.reject(ctx.chain, *_order_job(form)))


def withdraw(ctx: Context, form: Form) -> Outcome:
    return _step(steps.withdraw(ctx.chain, _token(form)))


# -- customer ------------------------------------------------------------------------


def join(ctx: Context, form: Form) -> Outcome:
    part = ctx.workspace.part(_text(form, "part", "part"))
    step = steps.join(
        ctx.chain,
        _number(form, "order", "order id"),
        part.path,
        _number(form, "quantity", "quantity", params.COUNT),
        part.units,
        split_groups=part.groups,
    )
    return Outcome([step.line()], go_to=f"/orders/{form['order']}", steps=[step])


def request(ctx: Context, form: Form) -> Outcome:
    part = ctx.workspace.part(_text(form, "part", "part"))
    now = pending_timestamp()
    step = steps.request_order(
        ctx.chain,
        part.path,
        _number(form, "quantity", "quantity", params.COUNT),
        q.token_amount(_text(form, "max_price", "most you pay per cm3")),
        q.timestamp(_text(form, "end", "open to producers until"), now),
        q.timestamp(_text(form, "delivery", "delivery deadline"), now),
        _text(form, "material", "material", required=False),
        _token(form),
        part.units,
        arbiter=_arbiter(form),
    )
    return Outcome([step.line()], go_to=f"/orders/{step.data['order_id']}", steps=[step])


def leave(ctx: Context, form: Form) -> Outcome:
    return _step(steps.leave(ctx.chain, *_order_job(form)))


def submit_model(ctx: Context, form: Form) -> Outcome:
    """Encrypt the part to the producer's key from the chain, store it, record it. An
    assembly's file is submitted once for all its jobs (from the first: ``_first_job``)."""
    order_id, job_id = _order_job(form)
    part = ctx.workspace.part(_text(form, "part", "part"))
    secret = _own_key(ctx, form, "secret_key", "sec", "secret key (to sign with)")
    kind = _text(form, "store", "store")
    store = storage.open_store(kind, ipfs_api=ctx.ipfs_api, root=ctx.file_store)
    ctx.progress("encrypting, storing and waiting for a second node to pin it", 0, 1)
    step = steps.submit_model(
        ctx.chain,
        order_id,
        _first_job(ctx.chain, order_id, job_id, part) if part.is_assembly else job_id,
        part.path,
        store,
        secret,
        passphrase=form.get("key_passphrase") or None,
        units=part.units,
        split_groups=part.groups,
    )
    return _step(step)


def _first_job(c: Chain, order_id: int, job_id: int, part: StoredPart) -> int:
    """The first job of the assembly PART joined as, among those holding JOB_ID: the run of
    consecutive jobs (a join gives an assembly's parts consecutive ids, in file order) whose
    declared data are PART's parts in order; JOB_ID itself when none is (the step says why)."""
    count = len(part.parts)
    last = int(c.order(order_id).jobCount)
    for first in range(max(1, job_id - count + 1), job_id + 1):
        if first + count - 1 > last:
            break
        jobs = [c.job(order_id, j) for j in range(first, first + count)]
        if all(sorted(named.data.chain_dims_um()) == sorted(dims_of(job))
               and named.data.chain_volume_mm3() == int(job.partVolume)
               for named, job in zip(part.parts, jobs, strict=True)):
            return first
    return job_id


def confirm(ctx: Context, form: Form) -> Outcome:
    return _step(steps.confirm(ctx.chain, *_order_job(form)))


def reclaim(ctx: Context, form: Form) -> Outcome:
    return _step(steps.reclaim(ctx.chain, *_order_job(form)))


def dispute(ctx: Context, form: Form) -> Outcome:
    return _step(steps.dispute(ctx.chain, *_order_job(form), _text(form, "reason", "reason for the arbiter")))


# -- arbiter and anyone ----------------------------------------------------------------


def resolve(ctx: Context, form: Form) -> Outcome:
    """The arbiter's split: what goes to the producer (the rest of the deposit to the customer)."""
    order_id, job_id = _order_job(form)
    to_producer = q.token_amount(_text(form, "to_producer", "to the producer"))
    return _step(steps.resolve(ctx.chain, order_id, job_id, to_producer))


def settle(ctx: Context, form: Form) -> Outcome:
    return _step(steps.settle(ctx.chain, *_order_job(form)))


# name in the URL -> (function, signs a transaction)
ACTIONS: dict[str, tuple[Callable[[Context, Form], Outcome], bool]] = {
    "generate-key": (generate_key, False),
    "register-key": (register_key, True),
    "register-machine": (register_machine, True),
    "open": (open_order, True),
    "take": (take, True),
    "close": (close, True),
    "cancel": (cancel, True),
    "evict": (evict, True),
    "fetch-model": (fetch_model, False),
    "produce": (produce, False),
    "ship": (ship, True),
    "finalize": (finalize, True),
    "reject": (reject, True),
    "withdraw": (withdraw, True),
    "join": (join, True),
    "request": (request, True),
    "leave": (leave, True),
    "submit-model": (submit_model, True),
    "confirm": (confirm, True),
    "reclaim": (reclaim, True),
    "dispute": (dispute, True),
    "resolve": (resolve, True),
    "settle": (settle, True),
}


# -- what a step that moves money would move, shown before it is sent ---------------------
def _join_preview(ctx: Context, form: Form) -> list[str]:
    part = ctx.workspace.part(_text(form, "part", "part"))
    quantity = _number(form, "quantity", "quantity", params.COUNT)
    return previews.join(ctx.chain, _number(form, "order", "order id"), part.path, quantity, part.units,
                         split_groups=part.groups)


def _request_preview(ctx: Context, form: Form) -> list[str]:
    part = ctx.workspace.part(_text(form, "part", "part"))
    return previews.request(
        ctx.chain, part.path, _number(form, "quantity", "quantity", params.COUNT),
        q.token_amount(_text(form, "max_price", "most you pay per cm3")), part.units, _token(form),
    )


def _produce_preview(ctx: Context, form: Form) -> list[str]:
    from offchain.shop import produce as shop

    _own_key(ctx, form, "secret_key", "sec", "secret key")
    order_id, job_id = _order_job(form)
    printer = _text(form, "printer", "printer")
    return shop.preview(ctx.chain, order_id, job_id, printer, form.get("retry") == "yes")


def _refund_preview(what: str) -> Callable[[Context, Form], list[str]]:
    return lambda ctx, form: previews.refund(ctx.chain, *_order_job(form), what)


# name in the URL -> the lines a person confirms before the step is sent (a print too: it
# starts a printer, and a replayed form must not start a second one)
PREVIEWS: dict[str, Callable[[Context, Form], list[str]]] = {
    "produce": _produce_preview,
    "join": _join_preview,
    "request": _request_preview,
    "leave": _refund_preview("leave"),
    "evict": _refund_preview("evict"),
    "reclaim": _refund_preview("reclaim"),
    "cancel": lambda ctx, form: previews.cancel(ctx.chain, _number(form, "order", "order id")),
    "reject": lambda ctx, form: previews.reject(ctx.chain, *_order_job(form)),
    "confirm": lambda ctx, form: previews.confirm(ctx.chain, *_order_job(form)),
    "dispute": lambda ctx, form: previews.dispute(ctx.chain, *_order_job(form)),
    "resolve": lambda ctx, form: previews.resolve(
        ctx.chain, *_order_job(form), q.token_amount(_text(form, "to_producer", "to the producer"))
    ),
    "withdraw": lambda ctx, form: previews.withdraw(ctx.chain, _token(form)),
}

#: Steps styled apart: they give something up (a place in an order, an order, a model, a
#: shipment's acceptance).
DESTRUCTIVE = frozenset({"leave", "cancel", "evict", "reject", "dispute"})
