"""Shared by the crypto, storage and `ape run keys/store` tests: a real gpg, CLI runs, files."""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from offchain.transfer import keys
from tests.conftest import ROOT

GPG = shutil.which("gpg")
GPG_MISSING = "the gpg binary is missing: apt-get install gnupg (make setup does)"
needs_gpg = pytest.mark.skipif(GPG is None, reason=GPG_MISSING)
PASSPHRASE = "producer passphrase"


@dataclass(frozen=True)
class Party:
    """A participant: its key and where its key files are."""

    key: keys.PGPKey
    pub: Path
    sec: Path
    passphrase: str | None = None

    @property
    def public(self) -> keys.PGPKey:
        return keys.import_key(keys.public_armor(self.key))


@dataclass(frozen=True)
class GpgKey:
    """A key made by gpg, exported: public file, secret file (protected), fingerprint."""

    algo: str
    fingerprint: str
    email: str
    pub: Path
    sec: Path
    passphrase: str


def random_file(path: Path, size: int, seed: int = 0) -> Path:
    """SIZE incompressible bytes (deterministic per seed)."""
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def leftovers(folder: Path) -> list[str]:
    """Temporary files an operation may have left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def flip(path: Path, offset: int, mask: int = 0x01) -> None:
    """Flip bits of one byte of PATH in place."""
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


class Gpg:
    """gpg with its own GNUPGHOME, --batch and loopback pinentry; never the user's keyring."""

    def __init__(self, home: Path) -> None:
        self.home = home

    @classmethod
    def fresh(cls) -> Gpg:
        # a short path: gpg-agent puts its socket in the home when /run/user is absent
        home = Path(tempfile.mkdtemp(prefix="pgh"))
        home.chmod(0o700)
        return cls(home)

    def run(
        self, *args: str, passphrase: str = "", check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        assert GPG is not None, GPG_MISSING
        cmd = [
            GPG, "--homedir", str(self.home), "--batch", "--yes", "--no-tty",
            "--pinentry-mode", "loopback", "--passphrase", passphrase,
            "--trust-model", "always", "--status-fd", "2", *args,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"gpg {' '.join(args)} failed:\n{proc.stderr}")
        return proc

    def import_file(self, *paths: Path, passphrase: str = "") -> None:
        self.run("--import", *map(str, paths), passphrase=passphrase)

    def generate(self, uid: str, algo: str, passphrase: str = "") -> str:
        """A primary signing key plus an encryption subkey; returns the fingerprint."""
        primary, sub = {"ed25519": ("ed25519", "cv25519"), "rsa3072": ("rsa3072", "rsa3072")}[algo]
        self.run("--quick-generate-key", uid, primary, "sign,cert", "never", passphrase=passphrase)
        fpr = self.fingerprint(uid)
        self.run("--quick-add-key", fpr, sub, "encr", "never", passphrase=passphrase)
        return fpr

    def fingerprint(self, uid: str) -> str:
        out = self.run("--with-colons", "--fingerprint", uid).stdout
        return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))

    def export(self, fpr: str, dest: Path, *, secret: bool = False, passphrase: str = "") -> Path:
        what = "--export-secret-keys" if secret else "--export"
        dest.write_text(self.run("--armor", what, fpr, passphrase=passphrase).stdout)
        return dest

    def close(self) -> None:
        gpgconf = shutil.which("gpgconf")
        if gpgconf:
            subprocess.run([gpgconf, "--homedir", str(self.home), "--kill", "all"],
                           capture_output=True, check=False)
        shutil.rmtree(self.home, ignore_errors=True)


def status(proc: subprocess.CompletedProcess[str], keyword: str) -> list[list[str]]:
    """The fields of gpg's '[GNUPG:] KEYWORD ...' status lines (stderr, --status-fd 2)."""
    return [
        line.split()[2:]
        for line in proc.stderr.splitlines()
        if line.startswith("[GNUPG:] ") and line.split()[1] == keyword
    ]


def ape_run(
    *args: str | Path,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``ape run ARGS`` from the project root, as a user would."""
    ape = Path(sys.executable).with_name("ape")
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [str(ape), "run", *map(str, args)],
        cwd=ROOT, env=full_env, capture_output=True, text=True, check=False,
        preexec_fn=preexec_fn,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Non-zero exit, exactly one stderr line starting 'error:', no traceback; returns it."""
    assert proc.returncode != 0, f"expected failure, got success:\n{proc.stdout}"
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one stderr line, got:\n{proc.stderr}"
    assert lines[0].startswith("error: "), lines[0]
    for needle in needles:
        assert needle.lower() in lines[0].lower(), f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def limit_file_size(limit: int) -> Callable[[], None]:
    """preexec_fn: the child may write files of at most LIMIT bytes (EFBIG beyond: 'disk full')."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply
