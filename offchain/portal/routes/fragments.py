"""The htmx fragments: the market list and an order's panel, re-rendered in place when a
filter changes, a step was taken or the index saw new events; a part's printability report,
loaded after its page (the report casts rays through the mesh: a large part's takes a
second the first time, which the page does not wait for)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from offchain.errors import ProdnetError
from offchain.portal import pages
from offchain.portal.dependencies import VisitDep, error_text
from offchain.portal.routes.pages import market_view, order_view

router = APIRouter()


@router.get("/fragments/market", response_class=HTMLResponse)
async def market_fragment(page: VisitDep) -> HTMLResponse:
    return await market_view(page, "_market.html")


@router.get("/orders/{order_id}/fragment", response_class=HTMLResponse)
async def order_fragment(page: VisitDep, order_id: int) -> HTMLResponse:
    return await order_view(page, order_id, "_order.html")


@router.get("/parts/{part_id}/printability", response_class=HTMLResponse)
async def printability_fragment(page: VisitDep, part_id: str) -> HTMLResponse:
    portal = page.portal
    try:
        part = portal.workspace.part(part_id, page.actor.address)
        reports = await asyncio.to_thread(portal.workspace.reports, part)
    except ProdnetError as exc:
        return page.render("error.html", status=404, message=error_text(exc))
    return page.render("_printability.html", rows=pages.part_rows(part, reports))
