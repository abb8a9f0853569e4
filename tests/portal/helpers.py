"""What a person does on the portal's pages, as Playwright steps, and what they then see."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

Page = Any


def act_as(page: Page, label: str) -> None:
    """Pick the acting account in the header, as a person would."""
    page.select_option(
        "#actor",
        label=next(o for o in page.locator("#actor option").all_inner_texts() if o.startswith(f"{label} (")),
    )
    with page.expect_navigation():
        page.click("form.acting button")


def address_of(portal: Any, label: str) -> str:
    """The address of the demo world's person LABEL (producer, alice, bob, ...)."""
    return next(a for a, name in portal.world.labels.items() if name == label)


def sent_count(address: str) -> int:
    """ADDRESS's transaction count: unchanged means nothing was sent."""
    from ape import networks

    return int(networks.provider.web3.eth.get_transaction_count(address))


def go(page: Page, portal: Any, path: str) -> None:
    """Open PATH in this tab as the account the tab acts as (the account is in the page's URL,
    ``?as=``, one per tab), as following a link of the page would."""
    acting = parse_qs(urlsplit(page.url).query).get("as")
    query = "" if not acting else ("&" if "?" in path else "?") + urlencode({"as": acting[0]})
    page.goto(f"{portal.url}{path}{query}")


def form_of(page: Page, button: str) -> Any:
    """The action form whose submit button reads BUTTON."""
    return page.locator("form.act").filter(has=page.get_by_role("button", name=button, exact=True))


def submit(
    page: Page,
    button: str,
    fields: dict[str, str] | None = None,
    selects: dict[str, str] | None = None,
    confirm: bool = True,
) -> str:
    """Fill the form of BUTTON, press it, and return the sentence shown next to it. A step that
    moves money first shows its amounts: CONFIRM presses its confirm button (filling there the
    fields the form did not have, its passphrase), else the amounts are returned."""
    form = form_of(page, button)
    later = {}
    for name, value in (fields or {}).items():
        field = form.locator(f"[name={name}]")
        if field.count():
            field.fill(value)
        else:
            later[name] = value
    for name, value in (selects or {}).items():
        form.locator(f"select[name={name}]").select_option(value)
    action = form.get_attribute("action").rsplit("/", 1)[-1]
    page.evaluate("document.querySelectorAll('.result').forEach(e => e.remove())")
    form.get_by_role("button", name=button, exact=True).click()
    shown = page.locator(f".result[data-action='{action}'], .result[data-action='{action}-confirm']").first
    shown.wait_for(timeout=60_000)
    if shown.get_attribute("data-action") == f"{action}-confirm":
        if not confirm:
            return " ".join(shown.inner_text().split())
        for name, value in later.items():
            shown.locator(f"[name={name}]").fill(value)
        shown.get_by_role("button", name=f"confirm {action}").click()
        shown = page.locator(f".result[data-action='{action}']")
        shown.wait_for(timeout=60_000)
    return " ".join(shown.inner_text().split())
