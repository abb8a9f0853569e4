"""The form posts that change state: acting as another account (``/use``), an order step or
account action (``/act/NAME``: the call of its CLI twin's function, ``actions.ACTIONS``),
and dropping a part (``POST /parts``). Each takes the CSRF-checked form (``CsrfForm``)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from offchain.errors import ProdnetError
from offchain.portal import actions
from offchain.portal.dependencies import (
    ACTOR_COOKIE,
    CsrfForm,
    FormRoute,
    PortalDep,
    VisitDep,
    error_text,
    portal_state,
    text_fields,
    visit,
)
from offchain.portal.routes.pages import upload_page
from offchain.portal.security import BodyTooLargeError, too_large
from offchain.portal.state import Portal, log

router = APIRouter(route_class=FormRoute)


@router.post("/use")
async def use_account(form: CsrfForm, portal: PortalDep) -> Response:
    fields = text_fields(form)
    assert portal.accounts is not None
    try:
        actor = portal.accounts.actor(fields.get("actor"))
    except ProdnetError as exc:
        return PlainTextResponse(error_text(exc), status_code=400)
    back = fields.get("back") or "/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(ACTOR_COOKIE, actor.address, httponly=True, samesite="strict")
    return response


@router.post("/act/{name}", response_class=HTMLResponse)
async def act(name: str, form: CsrfForm, page: VisitDep) -> Response:
    fields = text_fields(form)
    if name not in actions.ACTIONS:
        return PlainTextResponse(f"unknown action {name!r}", status_code=404)
    func, signs = actions.ACTIONS[name]
    portal, actor = page.portal, page.actor
    assert portal.accounts is not None
    accounts = portal.accounts

    def run() -> actions.Outcome:
        with accounts.chain_for(actor, fields.get("account_passphrase"), signs=signs) as c:
            ctx = actions.Context(
                chain=c,
                workspace=portal.workspace,
                ipfs_api=portal.settings.ipfs_api,
                file_store=portal.settings.file_store,
                chain_key=portal.chain_key,
            )
            return func(ctx, fields)

    try:
        outcome = await portal.read(run)
        ok, lines, go_to = True, outcome.lines, outcome.go_to
        log.info("%s by %s: %s", name, actor.label, lines[0] if lines else "done")
    except Exception as exc:  # every refusal is shown next to its form, as the CLI says it
        ok, lines, go_to = False, [error_text(exc)], None
        log.info("%s by %s refused: %s", name, actor.label, lines[0])
    template = "_result.html" if page.request.headers.get("hx-request") else "result.html"
    response = page.render(
        template,
        status=200 if ok or template == "_result.html" else 400,
        ok=ok,
        lines=lines,
        go_to=go_to,
        action=name,
    )
    if ok:
        response.headers["HX-Trigger"] = "acted"  # the order page refreshes its next steps
    return response


class UploadRoute(FormRoute):
    """The upload: a model up to the upload limit, and a body over it gets the upload page
    again, saying the limit."""

    def read_limits(self, portal: Portal) -> dict[str, int]:
        return {"max_part_size": portal.settings.max_upload + (1 << 20)}

    async def too_large(self, request: Request, exc: BodyTooLargeError) -> Response:
        portal = await portal_state(request)
        page = await visit(request, portal)
        return upload_page(page, 413, too_large(portal.settings.max_upload))


async def upload_part(form: CsrfForm, page: VisitDep) -> Response:
    portal, limit = page.portal, page.portal.settings.max_upload
    upload = form.get("stl")
    units = str(form.get("units") or "mm")
    if upload is None or isinstance(upload, str) or not upload.filename:
        message = "choose an STL file to drop on the portal"
    else:

        def chunks() -> Any:
            upload.file.seek(0)
            while block := upload.file.read(1 << 20):
                yield block

        try:
            part = await asyncio.to_thread(portal.workspace.add_part, upload.filename, chunks(), units, limit)
            return RedirectResponse(f"/parts/{part.id}", status_code=303)
        except ProdnetError as exc:
            message = error_text(exc)
    return upload_page(page, 400, message)


router.add_api_route(
    "/parts", upload_part, methods=["POST"], response_class=HTMLResponse, route_class_override=UploadRoute
)
