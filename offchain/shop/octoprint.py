"""A client of OctoPrint's REST API: the few calls a job needs, faults as one line.

Upload a G-code file (``POST /api/files/local``), select and print it (``POST
/api/files/local/NAME``), read the job (``GET /api/job``), the printer's connection
(``GET /api/connection``) and a file's print history (``GET /api/files/local/NAME``:
``prints.success``/``failure`` and ``last``, which OctoPrint writes on its PrintDone and
PrintFailed events, cancelled prints included). The API key is sent in the ``X-Api-Key``
header and never appears in a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from offchain.shop.errors import PrinterRefusedError, PrinterUnreachableError

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class JobState:
    """What OctoPrint says it is doing (``GET /api/job``)."""

    state: str
    file: str | None
    completion: float | None
    print_time_s: int | None
    time_left_s: int | None

    @property
    def printing(self) -> bool:
        return self.state.startswith(("Printing", "Pausing", "Paused", "Resuming", "Cancelling", "Starting"))


@dataclass(frozen=True)
class PrintHistory:
    """A file's prints as OctoPrint recorded them (done and failed)."""

    success: int
    failure: int
    last_success: bool | None
    last_date: float | None

    @property
    def prints(self) -> int:
        return self.success + self.failure


class OctoPrint:
    """One OctoPrint server at URL, authenticated with an API key."""

    def __init__(self, url: str, api_key: str, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["X-Api-Key"] = api_key
        self._timeout = timeout_s

    def _call(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        try:
            response = self._session.request(method, self.url + path, timeout=self._timeout, **kwargs)
        except requests.RequestException as exc:
            reason = "timed out" if isinstance(exc, requests.Timeout) else "no connection"
            raise PrinterUnreachableError(
                f"OctoPrint at {self.url} does not answer ({reason}): is it running and the URL right?"
            ) from None
        if response.status_code in (401, 403):
            raise PrinterRefusedError(
                f"OctoPrint at {self.url} refused the API key (HTTP {response.status_code}): "
                "check the printer's --api-key-file"
            )
        if response.status_code not in ok:
            detail = " ".join(response.text.split())[:200]
            raise PrinterRefusedError(
                f"OctoPrint at {self.url} refused {method} {path.split('?')[0]} "
                f"(HTTP {response.status_code}): {detail or 'no reason given'}"
            )
        is_json = "json" in response.headers.get("content-type", "")
        return response.json() if response.content and is_json else {}

    def version(self) -> str:
        return str(self._call("GET", "/api/version").get("server", "?"))

    def connection(self) -> str:
        """The printer's connection state: ``Operational``, ``Printing``, ``Closed``, ``Offline``..."""
        return str(self._call("GET", "/api/connection")["current"]["state"])

    def connect(self) -> None:
        """Connect OctoPrint to its printer with its saved defaults (port, baud rate)."""
        self._call("POST", "/api/connection", ok=(204,), json={"command": "connect", "autoconnect": True})

    def job(self) -> JobState:
        data = self._call("GET", "/api/job")
        progress = data.get("progress") or {}
        file = ((data.get("job") or {}).get("file") or {}).get("name")
        return JobState(
            state=str(data.get("state", "Unknown")),
            file=file,
            completion=progress.get("completion"),
            print_time_s=progress.get("printTime"),
            time_left_s=progress.get("printTimeLeft"),
        )

    def has_file(self, name: str) -> bool:
        return any(f.get("name") == name for f in self._call("GET", "/api/files/local").get("files", []))

    def history(self, name: str) -> PrintHistory:
        data = self._call("GET", f"/api/files/local/{quote(name)}").get("prints") or {}
        last = data.get("last") or {}
        return PrintHistory(
            success=int(data.get("success", 0)),
            failure=int(data.get("failure", 0)),
            last_success=last.get("success"),
            last_date=last.get("date"),
        )

    def upload(self, gcode: Path, name: str) -> None:
        with open(gcode, "rb") as handle:
            self._call(
                "POST", "/api/files/local", ok=(200, 201),
                files={"file": (name, handle, "application/octet-stream")},
                data={"select": "false", "print": "false"},
            )

    def print_file(self, name: str) -> None:
        """Select NAME and start printing it (OctoPrint refuses with 409 when not ready)."""
        command = {"command": "select", "print": True}
        self._call("POST", f"/api/files/local/{quote(name)}", ok=(204,), json=command)

    def cancel(self) -> None:
        self._call("POST", "/api/job", ok=(204,), json={"command": "cancel"})
