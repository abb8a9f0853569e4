"""A real OctoPrint server with its bundled Virtual Printer, on loopback, for tests, benchmarks
and the demo.

Each server gets a temporary base folder, a kernel-chosen port, a user with a random API key
(written to a mode-600 file: the printers' records name the file, never the key), and a
Virtual Printer that heats at once (no bed, and a room as hot as a nozzle: its ambient
temperature is above any profile's, so a print never waits for heating) so a small part
prints in seconds. Nothing leaves the machine: the online check, the plugin repository, the
software update check, the announcements and the usage tracking are off.
``stop``/``start`` (same folder, same port) and ``pause``/``resume`` (SIGSTOP: a server that
does not answer) are the faults the tests use.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import requests
import yaml

from offchain.devtools.binaries import octoprint_binary
from offchain.errors import ProdnetError

USER = "prodnet"
#: Plugins that would reach the Internet or ask a person something.
OFFLINE = ["softwareupdate", "pluginmanager", "announcements", "tracking", "achievements", "firmware_check"]


class OctoPrintError(ProdnetError):
    """A test OctoPrint could not be started or did not connect its virtual printer."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OctoPrintServer:
    """One OctoPrint on 127.0.0.1 with a connected Virtual Printer."""

    def __init__(self, basedir: Path | None = None, start_timeout: float = 120.0) -> None:
        self._own = basedir is None
        self.basedir = Path(basedir) if basedir else Path(tempfile.mkdtemp(prefix="prodnet-octoprint-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = secrets.token_hex(16)
        self.api_key_file = self.basedir / "api-key"
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None

    def _configure(self) -> None:
        self.basedir.mkdir(parents=True, exist_ok=True)
        config = {
            "server": {
                "host": "127.0.0.1",
                "port": self.port,
                "firstRun": False,
                "onlineCheck": {"enabled": False},
                "pluginBlacklist": {"enabled": False},
            },
            "serial": {"port": "VIRTUAL", "baudrate": 115200, "autoconnect": True},
            "plugins": {
                "_disabled": OFFLINE,
                "virtual_printer": {
                    "enabled": True,
                    "hasBed": False,
                    # not pinnedExtruders: OctoPrint stores its key 0 as "0", which the
                    # printer never matches, and each print waited ~20 s for heating
                    "ambientTemperature": 300.0,
                    "simulateReset": False,
                },
            },
        }
        (self.basedir / "config.yaml").write_text(yaml.safe_dump(config))
        users = {
            "_version": 2,
            USER: {
                "password": secrets.token_hex(32),  # nobody logs in: the tests use the API key
                "active": True,
                "groups": ["admins", "users"],
                "permissions": [],
                "apikey": self.api_key,
                "settings": {},
            },
        }
        (self.basedir / "users.yaml").write_text(yaml.safe_dump(users))
        fd = os.open(self.api_key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.api_key + "\n")

    def _get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, headers={"X-Api-Key": self.api_key}, timeout=5)

    def start(self) -> OctoPrintServer:
        if not (self.basedir / "config.yaml").exists():
            self._configure()
        log = open(self.basedir / "serve.log", "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            # the venv's own interpreter, not its script: a script's first line names the folder the
            # venv was made in, and the project's .tools may have been made in another checkout
            [str(octoprint_binary().parent / "python"), "-m", "octoprint", "serve",
             "--basedir", str(self.basedir),
             "--host", "127.0.0.1", "--port", str(self.port),
             # as root (containers, CI) OctoPrint refuses to serve unless told so
             *(["--iknowwhatimdoing"] if os.geteuid() == 0 else [])],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.process.poll() is not None:
                raise OctoPrintError(
                    f"OctoPrint exited with {self.process.returncode}: see {self.basedir}/serve.log"
                )
            try:
                if self._get("/api/connection").json()["current"]["state"] == "Operational":
                    return self
            except (requests.RequestException, ValueError, KeyError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise OctoPrintError(
                    f"OctoPrint's virtual printer was not Operational within {self.start_timeout:g} s: "
                    f"see {self.basedir}/serve.log"
                )
            time.sleep(0.5)

    def send(self, *commands: str) -> None:
        """Send G-code (or the virtual printer's ``!!DEBUG:...`` commands) to the printer."""
        requests.post(
            self.url + "/api/printer/command", json={"commands": list(commands)},
            headers={"X-Api-Key": self.api_key}, timeout=5,
        ).raise_for_status()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): it holds its port but answers nothing."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGCONT)
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        self.process = None

    def __enter__(self) -> OctoPrintServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if self._own:
            shutil.rmtree(self.basedir, ignore_errors=True)
