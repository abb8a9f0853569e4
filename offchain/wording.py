"""The words of a refusal that differ between the command line and the portal.

Every refusal is written once, where it is raised, in the operator's terms: what to run,
which option to give. A person on the portal has pages and buttons instead, so the portal
shows the same sentence with each command-line phrase replaced by its page twin from the one
table below (the CLI prints it as written). The sentence's meaning is the same in both; only
the "what to do" part is worded for its medium, so the two cannot drift apart.

``tests/portal/test_words.py`` holds every contract error's sentence, every rule's words and
the steps' own refusals to it: nothing that reaches a page keeps an ``ape run``, a ``--flag``
or a Python class name.
"""

from __future__ import annotations

import re

_ADDRESS = r"(0x[0-9a-fA-F]{40})"

#: (the command-line phrase, as a pattern; its page twin)
FOR_PAGE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(cli), page)
    for cli, page in (
        (r"run 'ape run order register-key PUB\.asc' first",
         "publish your key first (your account page, \u201cPublish your key\u201d)"),
        (r"run 'ape run order register-key PUB\.asc'", "publish your key (your account page)"),
        (r"register it with 'ape run order register-machine'",
         "register it on your account page (\u201cRegister a machine\u201d)"),
        (r"\('ape run order status (\d+)' lists its jobs\)", r"(order \1's page lists its jobs)"),
        (r"\('ape run order resolve (\d+) (\d+) --to-producer AMOUNT'\)",
         r"(the resolve button of job \2 on order \1's page)"),
        (r"\('ape run order settle (\d+) (\d+)': ", r"(the settle button of job \2 on order \1's page: "),
        (r"with 'ape run order settle (\d+) (\d+)'", r"with the settle button of job \2 on order \1's page"),
        (r"reject it \('ape run order reject (\d+) (\d+)'\) or ship it",
         r"reject it or ship it (the buttons of job \2 on order \1's page)"),
        (r"the admin grants it with 'ape run members add " + _ADDRESS + " arbiter'",
         r"the deployment's admin grants it to \1"),
        (r"the admin adds one with 'ape run members add ADDRESS arbiter'",
         "the deployment's admin adds them"),
        (r"ask the token admin to run 'ape run tokens allow " + _ADDRESS + "'",
         r"ask the token admin to allow \1"),
        (r"\(leave out --token\)", "(leave the token empty)"),
        (r"\(or leave out --token to be paid in ETH\)", "(or leave the token empty to be paid in ETH)"),
        (r"leave out --arbiter", "leave the arbiter empty"),
        (r"start the portal with a larger --max-upload",
         "ask whoever runs the portal for a larger upload limit"),
        (r"pass --force to replace it", "choose another name or folder"),
        (r"choose another --name or --out", "choose another name"),
        (r"give --name", "fill in the name"),
        (r"give --email like", "fill in the e-mail, like"),
        (r"choose the account that signs it with --account", "choose the account at the top of the page"),
        (r"point --ipfs-api / PRODNET_IPFS_API at it", "give its API address in the IPFS API field"),
        (r"\(e\.g\. --job 2 --job 5\)", "(its evict buttons)"),
        (r"give it with --passphrase-env VAR", "enter it in the key passphrase field"),
        (r"; check --passphrase-env", "; check the key passphrase"),
        (r"pass --retry to print it again", "print it again (its button on the order's page)"),
        (r"check the printer's --api-key-file", "check the printer's API key file"),
    )
)


def for_page(sentence: str) -> str:
    """SENTENCE (a refusal as the CLI says it) worded for the portal's pages."""
    for pattern, page in FOR_PAGE:
        sentence = pattern.sub(page, sentence)
    return sentence
