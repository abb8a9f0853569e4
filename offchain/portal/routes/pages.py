"""The HTML pages: the market, an order, the account, the dropped parts and a part's offers
(and the part's model for the viewer). The market and order views are shared with their
htmx fragments (``routes/fragments.py``), the upload page with the upload post."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from offchain import config
from offchain.errors import ProdnetError
from offchain.portal import actions, pages
from offchain.portal.dependencies import PortalDep, Visit, VisitDep, error_text
from offchain.portal.security import too_large
from offchain.wording import for_page

router = APIRouter()
#: How long a browser may keep what never changes at its address (a part's model).
IMMUTABLE = "private, max-age=31536000, immutable"


def _filters(page: Visit) -> tuple[dict[str, Any], list[str]]:
    from offchain.cli import quantities as q

    params = page.request.query_params
    filters: dict[str, Any] = {"material": params.get("material") or None}
    problems = []
    for name, parse, key in (
        ("max_price", q.token_amount, "max_price"),
        ("min_space", q.volume_mm3, "min_space"),
    ):
        text = (params.get(name) or "").strip()
        if text:
            try:
                filters[key] = parse(text)
            except ProdnetError as exc:
                problems.append(str(exc))
    return filters, problems


def _page_number(page: Visit) -> int:
    text = page.request.query_params.get("page", "1")
    return int(text) if text.isdigit() and 0 < len(text) < 7 else 1


async def market_view(page: Visit, name: str) -> HTMLResponse:
    """The market (open orders and requests, filtered) in template NAME."""
    portal = page.portal
    filters, problems = _filters(page)
    assert portal.reader is not None
    data = await portal.read(pages.market_page, portal.reader, filters, _page_number(page))
    query = {k: page.request.query_params.get(k, "") for k in ("material", "max_price", "min_space")}
    return page.render(name, problems=problems, query=query, **data)


async def order_view(page: Visit, order_id: int, name: str) -> HTMLResponse:
    """Order ORDER_ID as the acting account sees it, in template NAME."""
    portal = page.portal
    fetched = portal.workspace.fetched(portal.chain_key, order_id)
    try:
        data = await portal.read(pages.order_page, portal.reader, order_id, page.actor.address, fetched)
    except ProdnetError as exc:
        return page.render("error.html", status=404, message=error_text(exc))
    parts = portal.workspace.parts(owner=page.actor.address)
    floor = await _shop_floor(page, data) if data["is_producer"] else dict(NO_SHOP)
    return page.render(
        name,
        parts=parts,
        **floor,
        job_parts=_joined_parts(page, parts, data["jobs"]),
        secret_keys=await _key_choices(page, "sec"),
        ipfs_api=portal.settings.ipfs_api or config.ipfs_api(),
        has_file_store=bool(portal.settings.file_store or config.file_store()),
        previewed=actions.PREVIEWS,
        destructive=actions.DESTRUCTIVE,
        **data,
    )


#: An order page without the shop floor (a viewer who is not its producer).
NO_SHOP: dict[str, Any] = {"prints": {}, "producible": [], "printers": [], "shop_problem": ""}


async def _shop_floor(page: Visit, data: dict[str, Any]) -> dict[str, Any]:
    """The producer's view of its order's jobs on the shop floor (``offchain.shop.floor``):
    each job's print, the jobs that may go to print and the printers of the order's machine,
    a missing slicer. Asked in a worker thread (OctoPrint, not the chain)."""
    from offchain.shop import floor

    reader, order = page.portal.reader, data["order"]

    def read() -> dict[str, Any]:
        prints = {
            job: replace(seen, line=for_page(seen.line))
            for job, seen in floor.order_prints(reader, order.id, [j.id for j in data["jobs"]]).items()
        }
        producible = [j.id for j in data["jobs"] if floor.may_produce(j.status_code, prints.get(j.id))]
        return {
            "prints": prints,
            "producible": producible,
            "printers": floor.machine_printers(data["machine_id"]),
            "shop_problem": floor.slicer_missing() if producible else "",
        }

    try:
        return await asyncio.to_thread(read)
    except ProdnetError as exc:  # an unreadable shop configuration: said once, the page works
        return {**NO_SHOP, "shop_problem": error_text(exc)}


def _joined_parts(page: Visit, parts: list[tuple[str, str]], jobs: list[Any]) -> dict[int, str]:
    """For each job waiting for its model, the acting account's part with the public data the
    job was joined with (the one to preselect)."""
    found: dict[int, str] = {}
    for job in jobs:
        if "submit-model" not in job.moves:
            continue
        for part_id, _ in parts:
            if page.portal.workspace.part(part_id).matches(job.dims_um, job.volume_mm3):
                found[job.id] = part_id
                break
    return found


async def _key_choices(page: Visit, kind: str) -> list[tuple[str, bool]]:
    """The acting account's key files of KIND (another account's are never offered)."""
    portal = page.portal
    assert portal.accounts is not None
    accounts = [a.address for a in portal.accounts.actors]
    published = await portal.read(pages.published_fingerprints, portal.reader, accounts)
    return portal.workspace.key_choices(kind, page.actor.address, published)


def upload_page(page: Visit, status: int = 200, message: str | None = None) -> HTMLResponse:
    """The dropped parts and the drop zone (MESSAGE: why the last upload was refused)."""
    portal = page.portal
    return page.render(
        "upload.html",
        status=status,
        parts=portal.workspace.parts(owner=page.actor.address),
        limit=portal.settings.max_upload >> 20,
        too_large=for_page(too_large(portal.settings.max_upload, "{name}")),
        message=message,
    )


@router.get("/", response_class=HTMLResponse)
async def market_page(page: VisitDep) -> HTMLResponse:
    return await market_view(page, "market.html")


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def order_page(page: VisitDep, order_id: int) -> HTMLResponse:
    return await order_view(page, order_id, "order.html")


@router.get("/account", response_class=HTMLResponse)
async def account_page(page: VisitDep) -> HTMLResponse:
    portal = page.portal
    data = await portal.read(pages.account_page, portal.reader, page.actor.address)
    data["printers"] = await _printers(data["machines"])
    return page.render(
        "account.html",
        public_keys=await _key_choices(page, "pub"),
        key_folder=portal.workspace.key_folder,
        **data,
    )


async def _printers(machines: list[Any]) -> list[Any] | str:
    """The printers of the account's machines and their state, or why they cannot be read."""
    from offchain.shop import floor

    try:
        return await asyncio.to_thread(floor.printer_states, [m.id for m in machines])
    except ProdnetError as exc:
        return error_text(exc)


@router.get("/parts", response_class=HTMLResponse)
async def parts_page(page: VisitDep) -> HTMLResponse:
    return upload_page(page)


@router.get("/parts/{part_id}", response_class=HTMLResponse)
async def part_page(page: VisitDep, part_id: str) -> HTMLResponse:
    portal = page.portal
    try:
        part = portal.workspace.part(part_id, page.actor.address)
    except ProdnetError as exc:
        return page.render("error.html", status=404, message=error_text(exc))
    text = page.request.query_params.get("quantity", "1").strip()
    quantity, problem = 1, None
    if text.isdigit() and 0 < int(text) < 2**32:
        quantity = int(text)
    else:
        problem = (
            f"quantity {text[:20]!r} is not a whole number from 1 to {2**32 - 1:,}: showing the offers for 1"
        )
    rank = page.request.query_params.get("rank", "price")
    try:
        data = await portal.read(pages.part_page, portal.reader, part, quantity, rank)
        data["problem"] = problem
    except ProdnetError as exc:
        data = {"part": part, "rows": pages.part_rows(part), "offers": [], "offers_total": 0,
                "problem": error_text(exc),
                "one_part_request": pages.one_part_request(part)}
    return page.render("part.html", quantity=quantity, rank=rank, **data)


#: What each model format is served as (IANA's model/ types) for the 3D preview.
MODEL_TYPES = {"stl": "model/stl", "3mf": "model/3mf", "obj": "model/obj"}


@router.get("/parts/{part_id}/model.{ext}")
async def part_model(portal: PortalDep, part_id: str, ext: str) -> Response:
    try:
        part = portal.workspace.part(part_id)
    except ProdnetError as exc:
        return PlainTextResponse(error_text(exc), status_code=404)
    if ext != part.format:
        return PlainTextResponse(f"part {part_id[:12]}… is a {part.format.upper()} file: model.{part.format}",
                                 status_code=404)
    # a part never changes (its id is its file's digest with its unit): the browser keeps it
    return FileResponse(part.path, media_type=MODEL_TYPES[part.format], headers={"Cache-Control": IMMUTABLE})
