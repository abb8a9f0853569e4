"""Live updates: a server-sent event stream that says "changed" when the index saw new
events (the pages then fetch their fragments again)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from offchain.portal.dependencies import PortalDep

router = APIRouter()


@router.get("/events")
async def events(request: Request, portal: PortalDep) -> StreamingResponse:
    async def stream() -> AsyncIterator[bytes]:
        seen = portal.live.version
        yield b": connected\n\n"
        while not await request.is_disconnected():
            version = await portal.live.wait(seen, timeout=15.0)
            if version != seen:
                seen = version
                yield f"event: changed\ndata: {portal.live.block}\n\n".encode()
            else:
                yield b": ping\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream")
