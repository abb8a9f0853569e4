"""Live updates: a server-sent event stream that says "changed" when the index saw new
events, and "printing" when a print's progress changed (the pages then fetch their
fragments again)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from offchain.portal.dependencies import PortalDep

router = APIRouter()


@router.get("/events")
async def events(request: Request, portal: PortalDep) -> StreamingResponse:
    async def stream() -> AsyncIterator[bytes]:
        seen = (portal.live.version, portal.live.prints)
        yield b": connected\n\n"
        while not await request.is_disconnected():
            now = await portal.live.wait(seen, timeout=15.0)
            if now == seen:
                yield b": ping\n\n"
                continue
            if now[0] != seen[0]:
                yield f"event: changed\ndata: {portal.live.block}\n\n".encode()
            if now[1] != seen[1]:
                yield f"event: printing\ndata: {now[1]}\n\n".encode()
            seen = now

    return StreamingResponse(stream(), media_type="text/event-stream")
