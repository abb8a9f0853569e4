"""The htmx fragments: the market list and an order's panel, re-rendered in place when a
filter changes, a step was taken or the index saw new events."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from offchain.portal.dependencies import VisitDep
from offchain.portal.routes.pages import market_view, order_view

router = APIRouter()


@router.get("/fragments/market", response_class=HTMLResponse)
async def market_fragment(page: VisitDep) -> HTMLResponse:
    return await market_view(page, "_market.html")


@router.get("/orders/{order_id}/fragment", response_class=HTMLResponse)
async def order_fragment(page: VisitDep, order_id: int) -> HTMLResponse:
    return await order_view(page, order_id, "_order.html")
