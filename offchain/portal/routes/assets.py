"""The files pages load: the portal's own scripts and styles (``static/``), and the npm
JavaScript it vendors (htmx, three; ``state.VENDOR``). No inline script: the CSP forbids it."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse, Response

from offchain.portal.dependencies import PortalDep
from offchain.portal.state import HERE

router = APIRouter()

# three's add-ons import the bare name 'three' (an import map would be an inline script,
# which the CSP forbids): they are served with it pointing at the module file instead.
_BARE_THREE = re.compile(rb"""from\s+(['"])three\1""")


@router.get("/static/{name}")
async def static(name: str) -> Response:
    path = HERE / "static" / name
    if not re.fullmatch(r"[a-z0-9_-]+\.(js|css|svg)", name) or not path.is_file():
        return PlainTextResponse("not found", status_code=404)
    media = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}[name.rsplit(".", 1)[1]]
    return FileResponse(path, media_type=media)


@router.get("/vendor/{name:path}")
async def vendor(name: str, portal: PortalDep) -> Response:
    path = portal.vendor.get(name)
    if path is None:
        return PlainTextResponse("not found", status_code=404)
    body = path.read_bytes()
    if name.startswith("three/addons/"):
        body = _BARE_THREE.sub(b"from '../../three.module.js'", body)
    return Response(body, media_type="text/javascript")
