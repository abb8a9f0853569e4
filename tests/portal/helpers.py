"""What a person does on the portal's pages, as Playwright steps, and what they then see."""

from __future__ import annotations

from typing import Any

Page = Any


def act_as(page: Page, label: str) -> None:
    """Pick the acting account in the header, as a person would."""
    page.select_option(
        "#actor",
        label=next(o for o in page.locator("#actor option").all_inner_texts() if o.startswith(f"{label} (")),
    )
    with page.expect_navigation():
        page.click("form.acting button")


def form_of(page: Page, button: str) -> Any:
    """The action form whose submit button reads BUTTON."""
    return page.locator("form.act").filter(has=page.get_by_role("button", name=button, exact=True))


def submit(
    page: Page, button: str, fields: dict[str, str] | None = None, selects: dict[str, str] | None = None
) -> str:
    """Fill the form of BUTTON, press it, and return the sentence shown next to it."""
    form = form_of(page, button)
    for name, value in (fields or {}).items():
        form.locator(f"[name={name}]").fill(value)
    for name, value in (selects or {}).items():
        form.locator(f"select[name={name}]").select_option(value)
    action = form.get_attribute("action").rsplit("/", 1)[-1]
    page.evaluate("document.querySelectorAll('.result').forEach(e => e.remove())")
    form.get_by_role("button", name=button, exact=True).click()
    result = page.locator(f".result[data-action='{action}']")
    result.wait_for(timeout=60_000)
    return " ".join(result.inner_text().split())
