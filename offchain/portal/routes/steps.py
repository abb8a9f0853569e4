"""The form posts that change state: an order step or account action (``/act/NAME``: the
call of its CLI twin's function, ``actions.ACTIONS``) and dropping a part (``POST /parts``).
Each takes the CSRF-checked form (``CsrfForm``) and acts as the account the form names
(rendered into it), never as whatever another tab chose.

A step runs once per rendered form (its one-time token, ``intents``); a step that moves
money first answers with its amounts (``actions.PREVIEWS``) and a confirm button, and runs
when that is pressed."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from offchain.errors import ProdnetError
from offchain.portal import actions, pages
from offchain.portal.dependencies import (
    ACCOUNT_FIELD,
    CsrfForm,
    FormRoute,
    PortalDep,
    Visit,
    VisitDep,
    error_text,
    portal_state,
    text_fields,
    visit,
)
from offchain.portal.intents import INTENT_FIELD, Done, Intents
from offchain.portal.routes.pages import upload_page
from offchain.portal.security import BodyTooLargeError, too_large
from offchain.portal.session import Actor
from offchain.portal.state import Portal, log
from offchain.wording import for_page

router = APIRouter(route_class=FormRoute)


def _acting(portal: Portal, fields: dict[str, str]) -> Actor:
    """The account a state-changing form was rendered for (its ``account`` field): the form
    acts as that account whatever another tab has chosen since; none, or one this portal does
    not hold, is refused (nothing is sent)."""
    assert portal.accounts is not None
    named = fields.get(ACCOUNT_FIELD)
    if not named:
        raise FormRefusedError(
            "this form does not name the account it acts for: reload the page and send it again"
        )
    return portal.accounts.actor(named)


class FormRefusedError(ProdnetError):
    """A form the portal will not run as sent (no account, no one-time token)."""


@router.post("/act/{name}", response_class=HTMLResponse)
async def act(name: str, form: CsrfForm, request: Request, portal: PortalDep) -> Response:
    fields = text_fields(form)
    if name not in actions.ACTIONS:
        return PlainTextResponse(f"unknown action {name!r}", status_code=404)
    func, signs = actions.ACTIONS[name]
    assert portal.accounts is not None
    accounts = portal.accounts
    template = "_result.html" if request.headers.get("hx-request") else "result.html"
    try:
        actor = _acting(portal, fields)
        token = fields.get(INTENT_FIELD)
        if not Intents.valid(token):
            raise FormRefusedError(
                "this form is from an older page (it has no one-time token): reload the page"
            )
    except ProdnetError as exc:
        page = await visit(request, portal)
        status = 200 if template == "_result.html" else 400  # htmx swaps only a 200 in place
        return page.render(
            template, status=status, ok=False, lines=[error_text(exc)], go_to=None, action=name
        )
    page = Visit(request, portal, actor)

    def context(c: Any) -> actions.Context:
        return actions.Context(
            chain=c,
            workspace=portal.workspace,
            ipfs_api=portal.settings.ipfs_api,
            file_store=portal.settings.file_store,
            chain_key=portal.chain_key,
            owner=actor.address,
            published=pages.published_fingerprints(c, [a.address for a in accounts.actors]),
        )

    preview = actions.PREVIEWS.get(name)
    if preview is not None and fields.get("confirmed") != "yes":
        def amounts() -> list[str]:
            with accounts.chain_for(actor, None, signs=False) as c:
                return [line for line in preview(context(c), fields) if line]

        try:
            lines = await portal.read(amounts)
        except Exception as exc:  # a field that cannot be read: said next to the form, nothing sent
            return page.render(template, status=200 if template == "_result.html" else 400, ok=False,
                               lines=[error_text(exc)], go_to=None, action=name)
        keep = {k: v for k, v in fields.items() if k not in NOT_RESENT}
        return page.render("_confirm.html" if template == "_result.html" else "confirm.html",
                           action=name, lines=lines, fields=keep, token=token, signs=signs,
                           asks_key="secret_key" in keep, destructive=name in actions.DESTRUCTIVE)

    async def run_once() -> Done:
        def run() -> actions.Outcome:
            with accounts.chain_for(actor, fields.get("account_passphrase"), signs=signs) as c:
                return func(context(c), fields)

        try:
            outcome = await portal.read(run)
            log.info("%s by %s: %s", name, actor.label, outcome.lines[0] if outcome.lines else "done")
            return Done(True, tuple(outcome.lines), outcome.go_to)
        except Exception as exc:  # every refusal is shown next to its form, as the CLI says it
            log.info("%s by %s refused: %s", name, actor.label, error_text(exc))
            return Done(False, (error_text(exc),))

    done, repeat = await portal.intents.once(f"{name}:{actor.address.lower()}:{token}", run_once)
    lines = list(done.lines)
    if repeat and done.ok:
        lines = [f"already done (this form was sent before; nothing was sent again): {lines[0]}", *lines[1:]]
    response = page.render(
        template,
        status=200 if done.ok or template == "_result.html" else 400,
        ok=done.ok,
        lines=lines,
        go_to=page.link(done.go_to) if done.go_to else None,
        action=name,
    )
    if done.ok and not repeat:
        response.headers["HX-Trigger"] = "acted"  # the order page refreshes its next steps
    return response


#: Fields a confirmation does not carry back: the CSRF token and the one-time token are
#: rendered again, passphrases are asked at the confirmation itself (never put in a page).
NOT_RESENT = frozenset({"csrf", INTENT_FIELD, "confirmed", "account_passphrase", "key_passphrase"})


class UploadRoute(FormRoute):
    """The upload: a model up to the upload limit, and a body over it gets the upload page
    again, saying the limit."""

    def read_limits(self, portal: Portal) -> dict[str, int]:
        return {"max_part_size": portal.settings.max_upload + (1 << 20)}

    async def too_large(self, request: Request, exc: BodyTooLargeError) -> Response:
        portal = await portal_state(request)
        page = await visit(request, portal)
        return upload_page(page, 413, for_page(too_large(portal.settings.max_upload)))


async def upload_part(form: CsrfForm, page: VisitDep) -> Response:
    portal, limit = page.portal, page.portal.settings.max_upload
    upload = form.get("stl")
    units = str(form.get("units") or "mm")
    if upload is None or isinstance(upload, str) or not upload.filename:
        message = "choose a model file (STL, 3MF or OBJ) to drop on the portal"
    else:

        def chunks() -> Any:
            upload.file.seek(0)
            while block := upload.file.read(1 << 20):
                yield block

        try:
            part = await asyncio.to_thread(
                portal.workspace.add_part, upload.filename, chunks(), units, limit, page.actor.address,
                form.get("groups") == "yes",
            )
            return RedirectResponse(page.link(f"/parts/{part.id}"), status_code=303)
        except ProdnetError as exc:
            message = error_text(exc)
    return upload_page(page, 400, message)


router.add_api_route(
    "/parts", upload_part, methods=["POST"], response_class=HTMLResponse, route_class_override=UploadRoute
)
