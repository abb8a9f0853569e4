"""The portal's guards at the HTTP level: the token, CSRF, the headers, the upload limit."""

from __future__ import annotations

import html
import http.client
import urllib.parse

from offchain.portal.security import COOKIE
from tests.portal.conftest import UPLOAD_LIMIT_MIB


def _request(portal, method, path, body=b"", headers=None, cookie=True):
    host, port = urllib.parse.urlsplit(portal.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    sent = dict(headers or {})
    if cookie:
        sent["Cookie"] = f"{COOKIE}={portal.keys.token}"
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), data.decode(errors="replace")


def test_every_request_needs_the_token(portal):
    for path in ("/", "/orders/1", "/static/portal.js", "/vendor/htmx.min.js", "/events"):
        status, _, body = _request(portal, "GET", path, cookie=False)
        assert status == 403 and "access token" in body, path
    status, _, _ = _request(portal, "GET", "/?token=wrong", cookie=False)
    assert status == 403
    status, headers, _ = _request(portal, "GET", f"/orders/1?token={portal.keys.token}", cookie=False)
    assert status == 303 and headers["location"] == "/orders/1"
    assert "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]


def test_state_changes_need_the_csrf_token_and_this_origin(portal):
    form = b"order=3"
    kinds = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = _request(portal, "POST", "/act/close", form, kinds)
    assert status == 403 and "CSRF" in body
    good = form + b"&csrf=" + portal.keys.csrf.encode()
    status, _, body = _request(portal, "POST", "/act/close", good, {**kinds, "Origin": "http://evil.example"})
    assert status == 403 and "another site" in body
    status, _, body = _request(portal, "POST", "/act/nothing", good, kinds)
    assert status == 404


def test_headers_forbid_inline_scripts_and_framing(portal):
    status, headers, body = _request(portal, "GET", "/")
    assert status == 200
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in body and " onclick=" not in body
    assert portal.keys.token not in body  # the access token is never in a page


def test_an_upload_over_the_limit_is_refused_with_its_sentence(portal):
    size = (UPLOAD_LIMIT_MIB << 20) + (256 << 10)
    boundary = "prodnetboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="stl"; filename="huge.stl"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"\0" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    before = (
        sorted(p.name for p in portal.workspace.parts_folder.glob("*"))
        if portal.workspace.parts_folder.exists()
        else []
    )
    status, _, page = _request(
        portal, "POST", "/parts", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert status == 413
    assert f"larger than the portal's limit of {UPLOAD_LIMIT_MIB} MiB" in html.unescape(page)
    after = (
        sorted(p.name for p in portal.workspace.parts_folder.glob("*"))
        if portal.workspace.parts_folder.exists()
        else []
    )
    assert after == before


def test_live_events_stream(portal):
    host, port = urllib.parse.urlsplit(portal.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", "/events", headers={"Cookie": f"{COOKIE}={portal.keys.token}"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("content-type").startswith("text/event-stream")
    assert response.read(13) == b": connected\n\n"
    conn.close()
