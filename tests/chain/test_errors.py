"""Custom errors of the contracts -> sentences (every error the contracts declare has one)."""

from __future__ import annotations

import re

from offchain.chain import errors as chainerrors
from tests.conftest import ROOT


def _declared_errors() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "contracts").rglob("*.sol"):
        names.update(re.findall(r"^\s*error\s+(\w+)\s*\(", path.read_text(), re.M))
    return names


def test_every_contract_error_has_a_sentence() -> None:
    declared = _declared_errors()
    assert "NoSpaceLeft" in declared  # the scan found the real errors
    missing = sorted(declared - set(chainerrors._TEMPLATES))
    assert not missing, f"errors without a sentence: {missing}"


def test_window_over_names_the_order_and_the_time() -> None:
    text = chainerrors.describe("WindowOver", {"orderId": 3, "end": 1_796_119_200})
    assert text == "order 3 is closed; it stopped taking parts at 2026-12-01 10:00 UTC"


def test_no_space_left_gives_both_numbers() -> None:
    text = chainerrors.describe("NoSpaceLeft", {"orderId": 1, "needed": 5000, "left": 1200})
    assert "1200 mm3" in text and "5000 mm3" in text


def test_does_not_fit_shows_millimetres() -> None:
    text = chainerrors.describe("DoesNotFit", {"dims": [480_000, 480_000, 80_000], "envelope": [340_000] * 3})
    assert "480 x 480 x 80 mm" in text and "340 x 340 x 340 mm" in text


def test_unknown_error_still_reads() -> None:
    assert chainerrors.describe("Mystery", {"a": 1}) == "the contract refused: Mystery(a=1)"


def test_roles_are_named() -> None:
    from eth_utils import keccak

    text = chainerrors.describe("NotMember", {"account": "0xAb", "role": keccak(text="CUSTOMER_ROLE")})
    assert text == "0xAb is not a member with the customer role"


def test_raw_revert_data_is_decoded_with_checksummed_addresses() -> None:
    from eth_abi import encode
    from eth_utils import keccak

    class Input:
        def __init__(self, name: str, canonical_type: str) -> None:
            self.name, self.canonical_type = name, canonical_type

    class Abi:
        name = "NotOrderProducer"
        inputs = [Input("orderId", "uint256"), Input("caller", "address")]

    caller = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
    data = keccak(text="NotOrderProducer(uint256,address)")[:4] + encode(["uint256", "address"], [7, caller])
    assert chainerrors.decode_revert(data, [Abi]) == ("NotOrderProducer", {"orderId": 7, "caller": caller})
    assert chainerrors.decode_revert(b"\x01\x02\x03\x04", [Abi]) is None
