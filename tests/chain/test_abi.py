"""offchain.chain.abi: the compiled decoders agree with eth_abi on the contracts' own ABI."""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from offchain.chain.abi import Abi, AbiError, _type
from offchain.chain.rpc import RawLog


@pytest.fixture(scope="module")
def abi() -> Abi:
    from ape import project

    entries = []
    for name in ("CapacityRegistry", "IProductionOrders"):
        contract_type = getattr(project, name).contract_type
        entries += [e.model_dump(by_alias=True, mode="json") for e in contract_type.abi]
    return Abi(entries)


def _strategy(kind: str) -> st.SearchStrategy:
    if kind.startswith("uint"):
        return st.integers(0, 2 ** int(kind[4:] or 256) - 1)
    if kind == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if kind == "bool":
        return st.booleans()
    if kind.startswith("bytes") and kind != "bytes":
        return st.binary(min_size=int(kind[5:]), max_size=int(kind[5:]))
    if kind == "bytes":
        return st.binary(max_size=300)
    if kind == "string":
        return st.text(max_size=100)
    raise AssertionError(kind)


def _values(param: dict) -> st.SearchStrategy:
    kind = param["type"]
    if kind == "tuple":
        return st.tuples(*[_values(c) for c in param["components"]])
    if kind.endswith("]"):
        inner, count = kind[: kind.rindex("[")], int(kind[kind.rindex("[") + 1 : -1])
        return st.lists(_values({**param, "type": inner}), min_size=count, max_size=count)
    return _strategy(kind)


def _plain(param: dict, value):
    """eth_abi's decoded value in the codec's shape (checksummed addresses, dicts for structs)."""
    kind = param["type"]
    if kind == "address":
        return to_checksum_address(value)
    if kind == "tuple":
        return {c["name"]: _plain(c, v) for c, v in zip(param["components"], value, strict=True)}
    if kind.endswith("]"):
        return [_plain({**param, "type": kind[: kind.rindex("[")]}, v) for v in value]
    return value


@pytest.mark.parametrize("name", ["getOrder", "getJob", "credits", "machine", "orderCount", "quote"])
@given(data=st.data())
def test_return_data_decodes_like_eth_abi(abi: Abi, name: str, data) -> None:
    function = abi.functions[name]
    outputs = [dict(p) for p in function.outputs]
    values = [data.draw(_values(p)) for p in outputs]
    raw = encode([_type(p) for p in outputs], values)
    expected = [_plain(p, v) for p, v in zip(outputs, decode([_type(p) for p in outputs], raw), strict=True)]
    got = function.decode(raw)
    assert (got if len(outputs) > 1 else [got]) == expected


@pytest.mark.parametrize("name", ["getOrder", "getJob", "credits", "join", "quote"])
@given(data=st.data())
def test_calls_encode_like_eth_abi(abi: Abi, name: str, data) -> None:
    function = abi.functions[name]
    inputs = [dict(p) for p in function.inputs]
    values = [data.draw(_values(p)) for p in inputs]
    assert function.encode(*values) == function.selector + encode([_type(p) for p in inputs], values)


@given(data=st.data())
def test_every_event_decodes_like_eth_abi(abi: Abi, data) -> None:
    event = data.draw(st.sampled_from(sorted(abi.events.values(), key=lambda e: e.name)))
    inputs = [dict(p) for p in event.inputs]
    values = {p["name"]: data.draw(_values(p)) for p in inputs}
    indexed = [p for p in inputs if p.get("indexed")]
    plain = [p for p in inputs if not p.get("indexed")]
    topics = (event.topic, *(encode([_type(p)], [values[p["name"]]]) for p in indexed))
    body = encode([_type(p) for p in plain], [values[p["name"]] for p in plain])
    log = RawLog("0x" + "00" * 20, topics, body, 1, "0x", "0x", 0)
    name, args = abi.decode_log(log)
    assert name == event.name
    expected = {p["name"]: _plain(p, decode([_type(p)], encode([_type(p)], [values[p["name"]]]))[0])
                for p in inputs}
    assert args == expected


def test_short_return_data_is_refused(abi: Abi) -> None:
    with pytest.raises(AbiError, match="bytes of data"):
        abi.functions["getOrder"].decode(b"\0" * 31)


def test_a_log_with_the_wrong_topics_is_refused(abi: Abi) -> None:
    event = next(e for e in abi.events.values() if e.name == "JobJoined")
    log = RawLog("0x" + "00" * 20, (event.topic,), b"", 1, "0x", "0x", 0)
    with pytest.raises(AbiError, match="does not match event JobJoined"):
        abi.decode_log(log)


def test_unknown_topics_are_not_ours(abi: Abi) -> None:
    assert abi.decode_log(RawLog("0x" + "00" * 20, (b"\1" * 32,), b"", 1, "0x", "0x", 0)) is None
