"""The portal's routes as declared (no server): every state change goes through the one CSRF
dependency and the route class that answers its refusals; the reads change nothing."""

from __future__ import annotations

from fastapi.routing import APIRoute

from offchain.portal.dependencies import FormRoute, csrf_form
from offchain.portal.routes import ROUTERS


def _routes() -> list[APIRoute]:
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def _depends_on(route: APIRoute) -> set[object]:
    seen, todo = set(), list(route.dependant.dependencies)
    while todo:
        dep = todo.pop()
        seen.add(dep.call)
        todo.extend(dep.dependencies)
    return seen


def test_every_state_change_takes_the_csrf_checked_form() -> None:
    changes = [r for r in _routes() if r.methods - {"GET", "HEAD"}]
    assert {(r.path, m) for r in changes for m in r.methods} == {
        ("/act/{name}", "POST"),
        ("/parts", "POST"),
    }
    for route in changes:
        assert csrf_form in _depends_on(route), route.path
        assert isinstance(route, FormRoute), route.path


def test_reads_neither_check_nor_consume_a_form() -> None:
    for route in _routes():
        if route.methods <= {"GET", "HEAD"}:
            assert csrf_form not in _depends_on(route), route.path
            assert not isinstance(route, FormRoute), route.path


def test_each_url_is_served_once() -> None:
    keys = [(r.path, m) for r in _routes() for m in r.methods]
    assert len(keys) == len(set(keys))
