"""The model: encrypted, signed and stored by the customer (through the outbox), fetched,
verified and decrypted by the producer."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain import config
from offchain._fs import read_json, sha256_file, write_json_atomic
from offchain.chain.client import Chain, Step
from offchain.chain.codec import JobStatus, dims_of, job_status
from offchain.formats import dims_mm
from offchain.orders import pinning
from offchain.orders.indexed import market_index
from offchain.orders.rules import same_address
from offchain.orders.steps.base import ModelMismatchError, StepError, _job, _order, _parts, _send, check_rule
from offchain.orders.steps.keys import published_key
from offchain.parts import stl
from offchain.transfer import keys, message, replication, storage


def _outbox(c: Chain, order_id: int, job_id: int) -> Path:
    d = c.deployment
    return config.home() / "outbox" / f"{d.chain_id}-{d.orders.lower()}-{order_id}-{job_id}"


def _check_declared(part: stl.PartData, job: Any, what: str) -> None:
    """Refuse a model whose public data differs from what was declared on chain."""
    declared = sorted(dims_of(job))
    actual = sorted(part.chain_dims_um())
    problems = []
    if any(abs(a - d) > 1 for a, d in zip(actual, declared, strict=True)):
        problems.append(f"bounding box {dims_mm(tuple(actual))} vs declared {dims_mm(tuple(declared))}")
    volume, declared_volume = part.chain_volume_mm3(), int(job.partVolume)
    if abs(volume - declared_volume) > 1:
        problems.append(f"volume {volume} mm3 vs declared {declared_volume} mm3")
    if problems:
        raise ModelMismatchError(f"{what} does not match the part declared on chain: " + "; ".join(problems))


def _replicated(
    store: storage.Store, uri: str, order_id: int, job_id: int, bound: float | None
) -> replication.Holders | None:
    """On IPFS: wait (at most BOUND s, $PRODNET_IPFS_REPLICATION_WAIT by default) until a node
    other than the customer's holds the model (the producer's follower pins it when it sees
    ModelSubmitted); None for other stores."""
    if not isinstance(store, storage.IpfsStore) or not uri.startswith("ipfs://"):
        return None
    try:
        return replication.Replicas(store).wait(uri, copies=2, bound=bound)
    except replication.NotReplicatedError as exc:
        raise replication.NotReplicatedError(
            f"job {job_id} of order {order_id}: the model is recorded on chain, but {exc}; is the "
            "producer's follower ('ape run store follow') running? re-run submit-model to wait again"
        ) from None


def _with_copies(step: Step, holders: replication.Holders | None) -> Step:
    if holders is not None:
        step.summary += f"; {holders.line()}"
        step.data.update(copies=holders.count, holders=holders.line())
    return step


def submit_model(
    c: Chain,
    order_id: int,
    job_id: int,
    part_path: Path,
    store: storage.Store,
    secret_key_path: Path,
    passphrase: str | None = None,
    units: str = "mm",
    replication_bound: float | None = None,
    split_groups: bool = False,
) -> Step:
    """Customer: encrypt the model to the producer's key from the chain, sign it, store it,
    record URI + sha256; on IPFS, return only once another node holds it too (waiting at most
    REPLICATION_BOUND s). Safe to re-run: the ciphertext is kept in the outbox until the
    transaction is mined, so a second run re-uploads the same bytes (same URI) and sends
    the transaction only if it is missing (and waits for the second copy again).

    An assembly's file (several parts, as joined: a job per part in file order, JOB_ID the
    first) is encrypted and stored once and recorded for all its jobs in one transaction,
    each part checked first against the job that declared it."""
    order, job = _order(c, order_id), _job(c, order_id, job_id)
    outbox = _outbox(c, order_id, job_id)
    meta_path = outbox / "meta.json"
    meta = read_json(meta_path) or {}
    if same_address(job.customer, c.address) and int(job.status) != JobStatus.JOINED:
        digest = bytes(job.digest).hex()
        if any(bytes(job.digest)) and (meta.get("ciphertext_sha256") == digest or not meta):
            uri = meta.get("uri") or job.uri
            done = Step(
                "submit-model",
                c.actor,
                f"job {job_id} of order {order_id}: model {uri} already recorded",
                already_done=True,
                data={"uri": uri, "sha256": digest},
            )
            live = JobStatus(int(job.status)) in pinning.LIVE
            return _with_copies(
                done, _replicated(store, uri, order_id, job_id, replication_bound) if live else None
            )
    parts = _parts(part_path, units, split_groups)
    job_ids = list(range(job_id, job_id + len(parts)))
    for jid, named in zip(job_ids, parts, strict=True):
        check_rule(c, "submit-model", order_id, jid)
        what = str(part_path) if len(parts) == 1 else f"part '{named.name}' of {part_path} (job {jid})"
        _check_declared(named.data, job if jid == job_id else _job(c, order_id, jid), what)
    plain_sha = sha256_file(part_path)
    producer_key = published_key(c, str(order.producer))
    recipient = keys.fingerprint(producer_key)
    ciphertext = outbox / "model.pgp"
    if not (
        meta.get("plaintext_sha256") == plain_sha
        and meta.get("recipient") == recipient
        and ciphertext.exists()
        and sha256_file(ciphertext) == meta.get("ciphertext_sha256")
    ):
        signer = keys.read_key(secret_key_path)
        outbox.mkdir(parents=True, exist_ok=True)
        message.encrypt_file(part_path, ciphertext, producer_key, signer=signer, passphrase=passphrase)
        meta = {
            "plaintext_sha256": plain_sha,
            "recipient": recipient,
            "ciphertext_sha256": sha256_file(ciphertext),
        }
        write_json_atomic(meta_path, meta)
    stored = store.put(ciphertext, pin_name=pinning.label(c, order_id, job_id))
    if stored.sha256 != meta["ciphertext_sha256"]:
        raise StepError("the store returned another sha256 than the ciphertext's: refusing to record it")
    meta["uri"] = stored.uri
    write_json_atomic(meta_path, meta)
    digest = bytes.fromhex(stored.sha256)
    if len(job_ids) == 1:
        step = _send(
            c, "submit-model", c.orders.submitModel, order_id, job_id, digest, stored.uri,
            summary=f"job {job_id} of order {order_id}: {stored.uri} sha256 {stored.sha256[:16]}…",
        )
    else:
        step = _send(
            c, "submit-model", c.orders.submitModels, order_id, job_ids, digest, stored.uri,
            summary=f"jobs {job_ids[0]} to {job_ids[-1]} of order {order_id} ({len(job_ids)} parts of "
            f"{part_path.name}): {stored.uri} sha256 {stored.sha256[:16]}…",
        )
    # mined: the outbox's ciphertext and notes are no longer needed (a re-run finds the job
    # already has this model on chain and says so)
    shutil.rmtree(outbox, ignore_errors=True)
    step.data.update(uri=stored.uri, sha256=stored.sha256, job_ids=job_ids)
    return _with_copies(step, _replicated(store, stored.uri, order_id, job_id, replication_bound))


@dataclass(frozen=True)
class FetchedModel:
    path: Path
    uri: str
    sha256: str
    signer: str
    #: The part of the job fetched for.
    part: stl.PartData
    #: An assembly's file: every part with its job (job id, the part's name, its data), in
    #: file order; a single part: that one.
    parts: tuple[tuple[int, str, stl.PartData], ...] = ()


def model_location(c: Chain, order_id: int, job_id: int) -> tuple[str, str]:
    """(URI, sha256 hex) of the model recorded for the job."""
    job = _job(c, order_id, job_id)
    digest = bytes(job.digest)
    if not any(digest):
        raise StepError(
            f"job {job_id} of order {order_id} is {job_status(job)}: no model has been submitted yet"
        )
    if not job.uri:
        raise StepError(f"no ModelSubmitted event found for job {job_id} of order {order_id}")
    return job.uri, digest.hex()


def fetch_model(
    c: Chain,
    order_id: int,
    job_id: int,
    secret_key_path: Path,
    out_path: Path,
    passphrase: str | None = None,
    ipfs_api: str | None = None,
) -> FetchedModel:
    """Producer: fetch the ciphertext, verify its digest, decrypt, verify the customer's
    signature with the key on chain, and check the STL against the public data on chain."""
    order, job = _order(c, order_id), _job(c, order_id, job_id)
    if not same_address(order.producer, c.address):
        raise StepError(f"order {order_id} is produced by {order.producer}, not by {c.address}")
    uri, digest = model_location(c, order_id, job_id)
    customer_key = published_key(c, str(job.customer))
    secret = keys.read_key(secret_key_path)
    out_path = Path(out_path)
    ciphertext = out_path.with_name(f".{out_path.name}.pgp.partial")
    try:
        try:
            storage.fetch(uri, digest, ciphertext, ipfs_api=ipfs_api)
        except storage.ObjectUnreachableError as exc:
            raise exc.about(f"job {job_id}'s model", "the customer's node") from None
        except storage.DigestMismatchError as exc:
            raise storage.DigestMismatchError(
                f"job {job_id} of order {order_id}: {exc}; decline the job "
                f"('ape run order reject {order_id} {job_id}')"
            ) from None
        result = message.decrypt_file(
            ciphertext, out_path, secret, passphrase=passphrase, verify_with=customer_key
        )
    finally:
        ciphertext.unlink(missing_ok=True)
    checked = _check_parts(c, order_id, job_id, job, digest, out_path)
    [part] = [data for jid, _, data in checked if jid == job_id]
    return FetchedModel(out_path, uri, digest, result.signer or "", part, checked)


def assembly_jobs(c: Chain, order_id: int, job: Any, digest: str) -> list[Any]:
    """The jobs that share the model recorded for JOB (an assembly's, recorded at once by
    submitModels: the same customer and digest), in job-id order, which is file order."""
    jobs = [
        j for j in market_index(c).jobs([order_id], customer=str(job.customer))
        if bytes(j.digest).hex() == digest
    ]
    return sorted(jobs, key=lambda j: int(j.job_id)) or [job]


def _check_parts(
    c: Chain, order_id: int, job_id: int, job: Any, digest: str, path: Path
) -> tuple[tuple[int, str, stl.PartData], ...]:
    """Every part of the decrypted file against the job that declared it; one refusal naming
    each part that differs (or the count, if the file does not hold the assembly's parts)."""
    jobs = assembly_jobs(c, order_id, job, digest)
    parts = _parts(path)
    if len(parts) != len(jobs) and len(jobs) > 1:
        parts = _parts(path, split_groups=True)  # an OBJ joined object by object
    ids = [int(j.job_id) for j in jobs]
    if len(parts) != len(jobs):
        raise ModelMismatchError(
            f"the decrypted model of job {job_id} ({path}) holds {len(parts)} part(s), but "
            f"{len(jobs)} job(s) of order {order_id} share its digest ({', '.join(map(str, ids))}); "
            f"decline it ('ape run order reject {order_id} {job_id}')"
        )
    problems = []
    for j, named in zip(jobs, parts, strict=True):
        what = f"the decrypted model of job {j.job_id} ({path})" if len(jobs) == 1 else (
            f"part '{named.name}' (job {j.job_id})"
        )
        try:
            _check_declared(named.data, j, what)
        except ModelMismatchError as exc:
            problems.append(str(exc))
    if problems:
        raise ModelMismatchError("; ".join(problems))
    return tuple((int(j.job_id), named.name, named.data) for j, named in zip(jobs, parts, strict=True))
