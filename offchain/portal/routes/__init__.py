"""The portal's routes, one ``APIRouter`` per concern: the HTML pages, the htmx fragments,
the state-changing form posts, the live events, the served scripts and styles. Their
shared state, acting account and CSRF check are FastAPI dependencies
(``offchain.portal.dependencies``)."""

from offchain.portal.routes import assets, events, fragments, pages, steps

# in this order: GET /parts (pages) before POST /parts (steps) keeps 405's Allow header
ROUTERS = (pages.router, fragments.router, steps.router, events.router, assets.router)
