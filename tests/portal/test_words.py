"""Words for people: every refusal a page can show, worded for the page (``offchain.wording``),
keeps its meaning and loses the command line: no ``ape run``, no ``--flag``, no Python class
name. Held over every contract error's sentence, every rule's words for its steps, and the
steps' and the portal's own refusals that name a command."""

from __future__ import annotations

import re

import pytest

from offchain.chain import errors as chainerrors
from offchain.chain.codec import JobStatus, OrderStatus
from offchain.orders import rules
from offchain.portal.security import too_large
from offchain.wording import for_page

ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
#: A value for every argument of the contracts' errors (what a decoded revert carries).
ARGS = {
    "orderId": 4, "jobId": 2, "caller": ADDRESS, "account": ADDRESS, "status": 3, "start": 1_790_000_000,
    "end": 1_790_086_400, "deadline": 1_791_000_000, "maxLeadTime": 90 * 86_400, "capacity": 5,
    "min": 1, "max": 100, "dims": [1000, 2000, 3000], "partVolume": 10, "quantity": 1,
    "envelope": [1000, 2000, 3000], "machineEnvelope": [1000, 2000, 3000], "left": 5, "needed": 9,
    "requested": b"PA12".ljust(16, b"\0"), "machine": b"PLA".ljust(16, b"\0"), "price": 7, "maxPrice": 5,
    "expected": 9, "got": 8, "until": 1_791_000_000, "toProducer": 9, "deposit": 8, "arbiter": OTHER,
    "token": OTHER, "value": 10, "role": b"\0" * 32, "machineId": 3, "neededRole": b"\0" * 32,
    "allowance": 1, "balance": 2,
}
COMMAND_LINE = re.compile(r"ape run|(^|\s|\()--[a-z]|[A-Z][a-z]+(Error|Exception)\b")


def _clean(sentence: str) -> None:
    page = for_page(sentence)
    assert not COMMAND_LINE.search(page), f"{page!r} (from {sentence!r})"


@pytest.mark.parametrize("name", sorted(chainerrors._TEMPLATES))
def test_every_contract_error_reads_as_a_page_sentence(name: str) -> None:
    _clean(chainerrors.describe(name, ARGS))


def test_every_rules_word_reads_as_a_page_sentence() -> None:
    settings = rules.Settings(7 * 86_400, 14 * 86_400, 90 * 86_400, 100, 1000, 1000, 280)
    said = 0
    for roles in (None, frozenset()):
        for rule in rules.RULES:
            keys = set(rule.words) | ({"NotOrderProducer", "NotMember"} if rule.only else set())
            for key in keys:
                error, _, state = key.partition(":")
                facts = rules.Facts(
                    order_id=4, order_status=OrderStatus.OPEN, caller=OTHER, now=1_790_000_000,
                    settings=settings, producer=ADDRESS, job_id=2, customer=ADDRESS,
                    job_status=int(state) if state else JobStatus.SHIPPED, roles=roles,
                )
                refusal = rule.word(rules.Refusal(error, {**ARGS, "status": facts.job_status}), facts)
                _clean(refusal.sentence())
                said += 1
    assert said > 40


@pytest.mark.parametrize(
    "sentence",
    [
        "machine 3 does not exist: register it with 'ape run order register-machine'",
        "name the jobs of order 4 to evict (e.g. --job 2 --job 5)",
        f"{OTHER} has no contract code on this chain: give an ERC-20 token address "
        "(or leave out --token to be paid in ETH)",
        f"{OTHER} cannot be named the arbiter: ...; name another account, or none (leave out --arbiter)",
        "dave.pub.asc already exists; refusing to overwrite it: choose another --name or --out",
        "'x' is not an e-mail address: give --email like name@example.org",
        too_large(64 << 20, "big.stl"),
        "this step sends a transaction: choose the account that signs it with --account",
        # the shop floor's (offchain/shop): a print and a printer as the order page says them
        "the print prodnet-o4-j2-0123456789ab-1.gcode on printer virtual failed or was cancelled; nothing "
        "was sent on chain: pass --retry to print it again",
        "OctoPrint at http://octopi refused the API key (HTTP 403): check the printer's --api-key-file",
        "OctoPrint at http://octopi does not answer (no connection): is it running and the URL right?",
    ],
)
def test_the_steps_and_the_portals_own_refusals_read_as_page_sentences(sentence: str) -> None:
    _clean(sentence)


def test_a_page_sentence_keeps_the_meaning() -> None:
    cli = chainerrors.describe("KeyNotPublished", {"account": ADDRESS})
    page = for_page(cli)
    assert cli.startswith(f"{ADDRESS} has not published an OpenPGP key: run 'ape run order register-key")
    assert page == (
        f"{ADDRESS} has not published an OpenPGP key: publish your key first "
        "(your account page, \u201cPublish your key\u201d)"
    )
