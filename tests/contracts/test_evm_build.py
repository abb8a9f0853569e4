"""The contracts under test are the build the network gets (--evm): London code has no
opcode a London EVM lacks; the Cancun build keeps its transient-storage guard."""

from __future__ import annotations

from typing import Any

from offchain.chain import evm


def _executable(code: bytes) -> bytes:
    # solc appends CBOR metadata whose length is the last two bytes; it is never executed.
    return code[: len(code) - 2 - int.from_bytes(code[-2:], "big")]


def test_deployed_code_is_the_chosen_build(world_eth: Any, evm_target: str, chain: Any) -> None:
    for contract in (world_eth.orders, world_eth.registry):
        ops = evm.opcodes(_executable(bytes(chain.provider.get_code(contract.address))))
        newer = {evm.NEWER_THAN_LONDON[op] for op in ops & set(evm.NEWER_THAN_LONDON)}
        if evm_target == evm.LONDON:
            assert newer == set(), f"London build uses {newer}"
        else:
            assert "PUSH0" in newer
    orders_ops = evm.opcodes(_executable(bytes(chain.provider.get_code(world_eth.orders.address))))
    assert (0x5D in orders_ops) == (evm_target == evm.CANCUN), "the guard of the build"
