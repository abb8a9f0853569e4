"""The routes' FastAPI dependencies, and the route class of the forms that change state.

- ``PortalDep``: the app's shared state (``Portal``: settings, accounts, index reader, ...).
- ``VisitDep``: who acts in this request (the account its URL names, ``?as=ADDRESS``: one
  per tab, never a cookie shared by every tab) and the pages rendered for that account.
- ``CsrfForm``: the posted form, read once and refused unless it carries the CSRF token;
  every route that changes state takes it (the access token and the Origin are checked
  before, by ``security.Guard``).

``FormRoute``, the route class of those routes, says how their form is read and answers
their refusals (a stale form, an oversized body) as plain sentences, whether the
dependency or the handler raised them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from offchain import config
from offchain.errors import ProdnetError
from offchain.portal.security import CSRF_FIELD, CSRF_HEADER, TOO_LARGE, BodyTooLargeError, too_large
from offchain.portal.session import Actor
from offchain.portal.state import Portal, log
from offchain.wording import for_page

#: The query parameter that names the acting account of a page (and every link it renders).
ACTOR_PARAM = "as"
#: The form field that names the account a state-changing form was rendered for.
ACCOUNT_FIELD = "account"
STALE_FORM = "forbidden: this form is stale or from elsewhere (no valid CSRF token); reload the page"


# -- the app's shared state --------------------------------------------------------------
async def portal_state(request: Request) -> Portal:
    return request.app.state.portal  # type: ignore[no-any-return]


PortalDep = Annotated[Portal, Depends(portal_state)]


# -- the acting account ------------------------------------------------------------------
@dataclass(frozen=True)
class Visit:
    """One request's acting account, and its pages rendered for that account."""

    request: Request
    portal: Portal
    actor: Actor

    def link(self, path: str, **params: Any) -> str:
        """PATH as a link of this page: it keeps the acting account (and adds PARAMS)."""
        query = urlencode({**{k: v for k, v in params.items() if v not in (None, "")},
                           ACTOR_PARAM: self.actor.address})
        return f"{path}{'&' if '?' in path else '?'}{query}"

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        assert self.portal.accounts is not None
        page = self.portal.templates.get_template(name).render(
            csrf=self.portal.keys.csrf,
            actor=self.actor,
            actors=self.portal.accounts.actors,
            label=self.portal.label,
            path=self.request.url.path,
            params={k: v for k, v in self.request.query_params.items() if k != ACTOR_PARAM},
            link=self.link,
            intent=self.portal.intents.token,
            **context,
        )
        return HTMLResponse(page, status_code=status)


async def visit(request: Request, portal: PortalDep) -> Visit:
    """The account the page's URL names (``?as=``), else the portal's first: each tab acts
    as the account its own URL names."""
    assert portal.accounts is not None
    return Visit(request, portal, portal.accounts.actor(request.query_params.get(ACTOR_PARAM)))


VisitDep = Annotated[Visit, Depends(visit)]


# -- the CSRF check of every state change ------------------------------------------------
class StaleFormError(PermissionError):
    """A state change without this start's CSRF token."""


async def csrf_form(request: Request, portal: PortalDep) -> FormData:
    """The posted form, if it carries the CSRF token (as its ``csrf`` field or the
    X-CSRF-Token header). An over-the-limit body raises ``BodyTooLargeError``."""
    if request.scope.get(TOO_LARGE):
        raise BodyTooLargeError(too_large(portal.settings.max_upload))
    route = request.scope.get("route")
    form = await request.form(**(route.read_limits(portal) if isinstance(route, FormRoute) else {}))
    field = form.get(CSRF_FIELD)
    token = (field if isinstance(field, str) else None) or request.headers.get(CSRF_HEADER)
    if not portal.keys.csrf_ok(token):
        raise StaleFormError(STALE_FORM)
    return form


CsrfForm = Annotated[FormData, Depends(csrf_form)]


def text_fields(form: FormData) -> dict[str, str]:
    """The form's text fields (what ``actions`` reads), without its files."""
    return {k: v for k, v in form.items() if isinstance(v, str)}


class FormRoute(APIRoute):
    """A route that changes state: a refused form is a plain sentence, 403 (stale, or any
    ``PermissionError``) or 413 (over the upload limit), raised by a dependency or the
    handler alike."""

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except PermissionError as exc:
                return PlainTextResponse(str(exc), status_code=403)
            except BodyTooLargeError as exc:
                return await self.too_large(request, exc)

        return guarded

    def read_limits(self, portal: Portal) -> dict[str, int]:
        """How ``csrf_form`` reads this route's form: Starlette's limits (text fields up to 1 MiB)."""
        return {}

    async def too_large(self, request: Request, exc: BodyTooLargeError) -> Response:
        return PlainTextResponse(str(exc), status_code=413)


# -- errors as sentences -----------------------------------------------------------------
def error_text(exc: BaseException) -> str:
    """A refusal as the page says it: the library's sentence with its command-line phrases in
    their page wording (``offchain.wording``); anything unexpected without a Python name."""
    if isinstance(exc, ProdnetError):
        return for_page(" ".join(str(exc).split()))
    log.error("unexpected %s: %s", type(exc).__name__, exc, exc_info=config.debug())
    return (
        "something unexpected stopped this step; nothing more was done. The portal's log says what "
        "(start it with PRODNET_DEBUG=1 for every detail)"
    )
