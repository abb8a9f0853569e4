"""Custom errors of the contracts -> sentences (every error the contracts declare has one)."""

from __future__ import annotations

import re

import pytest

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


# -- the market rules of issue 12 ----------------------------------------------------------
UNTIL = 1_796_119_200  # 2026-12-01 10:00 UTC
ADDRESS = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def test_invalid_window_names_the_lead_time() -> None:
    text = chainerrors.describe(
        "InvalidWindow", {"start": UNTIL - 10, "end": UNTIL, "deadline": UNTIL, "maxLeadTime": 30 * 86400}
    )
    assert "delivery after the end" in text and "longest lead time, 30d 0h, after it" in text


def test_too_many_jobs_names_both_limits_and_what_to_do() -> None:
    text = chainerrors.describe("TooManyJobs", {"orderId": 4, "max": 100})
    assert text.startswith("order 4 takes no more jobs: it has reached its limit of 100")
    # the limit it reached comes from the error (the contract's constant), not from a copy here
    assert "live jobs" in text and "job ids" in text and "join another order" in text


@pytest.mark.parametrize(
    ("name", "inputs", "expected"),
    [
        (
            "ModelReceived",
            {"orderId": 3, "jobId": 2},
            "order 3 cannot be cancelled: job 2 has a submitted model; reject it "
            "('ape run order reject 3 2') or ship it",
        ),
        (
            "ConfirmationWindowOver",
            {"orderId": 3, "jobId": 2, "until": UNTIL},
            "job 2 of order 3 can no longer be disputed: its confirmation window ended at "
            "2026-12-01 10:00 UTC (the producer may finalize it now)",
        ),
        (
            "ArbitrationWindowOpen",
            {"orderId": 3, "jobId": 2, "until": UNTIL},
            "the arbiter may resolve the dispute over job 2 of order 3 until 2026-12-01 10:00 UTC; "
            "it can be settled (a full refund to the customer) only after that",
        ),
        (
            "SplitTooLarge",
            {"toProducer": 1001, "deposit": 1000},
            "the split gives the producer 1001 (base units), more than the job's deposit of 1000: "
            "give at most 1000, the rest goes back to the customer",
        ),
        (
            "NotTokenAdmin",
            {"caller": ADDRESS},
            f"{ADDRESS} is not the token admin: only the account that deployed prodnet may change the "
            "token allowlist",
        ),
        (
            "InvalidSetting",
            {"value": 100 * 86_400, "min": 3600, "max": 90 * 86_400},
            "deployment setting 100d is out of range: it must be between 1h and 90d",
        ),
    ],
)
def test_new_errors_read_as_sentences(name: str, inputs: dict[str, object], expected: str) -> None:
    assert chainerrors.describe(name, inputs) == expected


def test_not_arbiter_says_who_may_resolve() -> None:
    text = chainerrors.describe("NotArbiter", {"orderId": 5, "caller": ADDRESS})
    assert text.startswith(f"{ADDRESS} is not the arbiter of order 5: ")
    assert "arbiter role" in text and "never the producer or the job's customer" in text


def test_cannot_name_arbiter_gives_the_rule() -> None:
    caller = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
    text = chainerrors.describe("CannotNameArbiter", {"caller": caller, "arbiter": ADDRESS})
    assert text == (
        f"{ADDRESS} cannot be named the arbiter: an arbiter is named when the order is opened or requested, "
        f"in public mode only, and must be another account than yours ({caller})"
    )


def test_the_job_errors_read_well_for_evict() -> None:
    """evict names several jobs: the contract's refusal says which one, and what became of it."""
    gone = chainerrors.describe("WrongJobStatus", {"orderId": 4, "jobId": 2, "status": 5})
    assert gone == (
        "job 2 of order 4 is left (its customer left the order, the deposit credited back); this step "
        "needs the job in another state"
    )
    refunded = chainerrors.describe("WrongJobStatus", {"orderId": 4, "jobId": 3, "status": 6})
    assert refunded.startswith("job 3 of order 4 is refunded (its deposit was credited back to its customer)")
    odd = chainerrors.describe("WrongJobStatus", {"orderId": 4, "jobId": 3, "status": 42})
    assert odd == "job 3 of order 4 is 42; this step needs the job in another state"
    missing = chainerrors.describe("JobNotFound", {"orderId": 4, "jobId": 9})
    assert missing == "order 4 has no job 9 ('ape run order status 4' lists its jobs)"


def test_token_not_allowed_says_what_to_do() -> None:
    text = chainerrors.describe("TokenNotAllowed", {"token": ADDRESS})
    assert text.startswith(f"{ADDRESS} is not on this deployment's token allowlist: pay in ETH")
    assert f"'ape run tokens allow {ADDRESS}'" in text


def test_the_arbiter_role_is_named() -> None:
    from eth_utils import keccak

    text = chainerrors.describe("NotMember", {"account": "0xAb", "role": keccak(text="ARBITER_ROLE")})
    assert text == "0xAb is not a member with the arbiter role"


def test_a_setting_in_odd_units_reads_back() -> None:
    text = chainerrors.describe("InvalidSetting", {"value": 59, "min": 3600, "max": 365 * 86_400})
    assert text == "deployment setting 59s is out of range: it must be between 1h and 365d"
    assert chainerrors.duration_text(36 * 3600 + 1800) == "1d 12h 30m"


def test_a_balance_too_low_for_a_payment_reads_in_ether_without_ape_s_words() -> None:
    from ape.exceptions import AccountsError

    refused = AccountsError(
        "Transfer value meets or exceeds account balance for account "
        "'0x70997970C51812dc3A010C7d01b50e0d17dc79C8' on chain '1337' using provider 'node'.\n"
        "Are you using the correct account / chain / provider combination?\n"
        "(transfer_value=25600000000000000000, balance=10000000000000000000)."
    )
    error = chainerrors.from_exception(refused)
    assert error is not None
    assert str(error) == (
        "the account's balance is too low for this step: it costs 25.6 ETH with the most its gas may "
        "cost, the account holds 10 ETH; fund it, or act with another account (nothing was sent)"
    )
