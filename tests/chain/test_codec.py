"""offchain.chain.codec: addresses as typed by people (the arbiter, members, tokens)."""

from __future__ import annotations

import pytest

from offchain.chain.codec import JOB_STATUS, EncodingError, JobStatus, address_of

CHECKSUMMED = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def test_an_address_in_one_case_is_taken_and_checksummed() -> None:
    assert address_of(CHECKSUMMED.lower()) == CHECKSUMMED
    assert address_of("0x" + CHECKSUMMED[2:].upper()) == CHECKSUMMED
    assert address_of(f"  {CHECKSUMMED} ") == CHECKSUMMED


@pytest.mark.parametrize("text", ["0x1", "90F79bf6EB2c4f870365E785982E1f101E93b906", "0x" + "g" * 40, ""])
def test_a_malformed_address_is_one_sentence(text: str) -> None:
    with pytest.raises(EncodingError, match=r"^arbiter .* is not an address: give 0x followed by 40 hex"):
        address_of(text, "arbiter")


def test_a_mixed_case_address_needs_its_checksum() -> None:
    typo = CHECKSUMMED[:-1] + "7"  # one digit off, case kept
    with pytest.raises(EncodingError, match="wrong EIP-55 checksum"):
        address_of(typo)
    flipped = CHECKSUMMED[:4] + CHECKSUMMED[4].swapcase() + CHECKSUMMED[5:]  # F -> f
    with pytest.raises(EncodingError, match="check it for a typo, or give it all in lower case"):
        address_of(flipped)


def test_the_new_job_states_have_labels() -> None:
    assert [JOB_STATUS[s] for s in (JobStatus.DISPUTED, JobStatus.RESOLVED, JobStatus.REJECTED)] == [
        "disputed", "resolved", "rejected",
    ]
