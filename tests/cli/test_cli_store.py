"""``ape run store ...`` as a user runs it: put/get on both stores, one clear line for bad input."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from offchain.devtools.kubo import KuboNode
from tests.utils.keys import (
    ape_run,
    assert_one_line_error,
    leftovers,
    limit_file_size,
    random_file,
)


def _fields(stdout: str) -> dict[str, str]:
    return dict(line.split(maxsplit=1) for line in stdout.strip().splitlines())


def test_file_store_put_and_get(tmp_path: Path) -> None:
    src = random_file(tmp_path / "model.pgp", 5 << 20)  # large enough for a progress bar
    put = ape_run("store", "put", src, "--to", "file", "--root", tmp_path / "store")
    assert put.returncode == 0, put.stderr
    assert "storing" in put.stderr and "error" not in put.stderr  # the progress bar
    fields = _fields(put.stdout)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    assert fields["sha256"] == sha and fields["size"] == str(src.stat().st_size)
    assert fields["uri"] == (tmp_path / "store" / sha).as_uri()
    get = ape_run("store", "get", fields["uri"], "--sha256", sha, "--out", tmp_path / "back.pgp")
    assert get.returncode == 0, get.stderr
    assert (tmp_path / "back.pgp").read_bytes() == src.read_bytes()


def test_file_store_root_from_the_environment(tmp_path: Path) -> None:
    src = random_file(tmp_path / "m", 100)
    proc = ape_run("store", "put", src, "--to", "file",
                   env={"PRODNET_FILE_STORE": str(tmp_path / "central")})
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "central" / hashlib.sha256(src.read_bytes()).hexdigest()).exists()


@pytest.mark.kubo
def test_ipfs_put_on_the_customers_node_get_on_the_producers(
    kubo_pair: tuple[KuboNode, KuboNode], tmp_path: Path
) -> None:
    customer, producer = kubo_pair
    src = random_file(tmp_path / "model.pgp", 300_000)
    put = ape_run("store", "put", src, "--to", "ipfs", "--ipfs-api", customer.api_multiaddr)
    assert put.returncode == 0, put.stderr
    assert put.stderr == ""  # no client warnings (VersionMismatch, urllib3) reach the user
    fields = _fields(put.stdout)
    assert fields["uri"].startswith("ipfs://bafy")
    get = ape_run("store", "get", fields["uri"], "--sha256", fields["sha256"],
                  "--out", tmp_path / "back.pgp", env={"PRODNET_IPFS_API": producer.api_multiaddr})
    assert get.returncode == 0 and get.stderr == "", get.stderr
    assert (tmp_path / "back.pgp").read_bytes() == src.read_bytes()


# -- bad input: one line, non-zero, nothing written -----------------------------------------
def test_sha256_mismatch(tmp_path: Path) -> None:
    src = random_file(tmp_path / "m", 1000)
    put = ape_run("store", "put", src, "--to", "file", "--root", tmp_path / "store")
    uri = _fields(put.stdout)["uri"]
    wrong = hashlib.sha256(b"not it").hexdigest()
    proc = ape_run("store", "get", uri, "--sha256", wrong, "--out", tmp_path / "out")
    assert_one_line_error(proc, "not the expected", wrong)
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


@pytest.mark.kubo
def test_sha256_mismatch_on_ipfs(kubo_factory: Callable[[], KuboNode], tmp_path: Path) -> None:
    node = kubo_factory()
    src = random_file(tmp_path / "m", 1000)
    put = ape_run("store", "put", src, "--to", "ipfs", "--ipfs-api", node.api_multiaddr)
    uri = _fields(put.stdout)["uri"]
    proc = ape_run("store", "get", uri, "--sha256", "ab" * 32, "--out", tmp_path / "out",
                   "--ipfs-api", node.api_multiaddr)
    assert_one_line_error(proc, "not the expected")
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("uri", ["s3://bucket/model.pgp", "https://example.org/model.pgp"])
def test_unknown_uri_scheme(tmp_path: Path, uri: str) -> None:
    proc = ape_run("store", "get", uri, "--sha256", "ab" * 32, "--out", tmp_path / "out")
    assert_one_line_error(proc, "unknown URI scheme")
    assert not (tmp_path / "out").exists()


def test_unknown_store_kind(tmp_path: Path) -> None:
    proc = ape_run("store", "put", random_file(tmp_path / "m", 10), "--to", "s3")
    assert_one_line_error(proc, "unknown store", "'s3'")


def test_malformed_sha256(tmp_path: Path) -> None:
    proc = ape_run("store", "get", (tmp_path / ("ab" * 32)).as_uri(), "--sha256", "xyz",
                   "--out", tmp_path / "out")
    assert_one_line_error(proc, "not a sha256")


def test_kubo_not_running(dead_api: str, tmp_path: Path) -> None:
    put = ape_run("store", "put", random_file(tmp_path / "m", 10), "--to", "ipfs",
                  "--ipfs-api", dead_api)
    assert_one_line_error(put, "cannot reach the Kubo", dead_api)
    get = ape_run("store", "get", "ipfs://bafkqaaa", "--sha256", "ab" * 32,
                  "--out", tmp_path / "out", env={"PRODNET_IPFS_API": dead_api})
    assert_one_line_error(get, "cannot reach the Kubo", dead_api)
    assert not (tmp_path / "out").exists()


def test_disk_full_in_the_file_store_leaves_no_partial_file(tmp_path: Path) -> None:
    src = random_file(tmp_path / "big", 3 << 20)
    root = tmp_path / "store"
    root.mkdir()
    proc = ape_run("store", "put", src, "--to", "file", "--root", root,
                   preexec_fn=limit_file_size(1 << 20))
    assert_one_line_error(proc, "file size limit")
    assert list(root.iterdir()) == []


def test_disk_full_mount(full_disk: Path, tmp_path: Path) -> None:
    src = random_file(tmp_path / "big", 2 << 20)
    proc = ape_run("store", "put", src, "--to", "file", "--root", full_disk)
    assert_one_line_error(proc, "no space left")
    assert list(full_disk.iterdir()) == []


def test_read_only_store(readonly_dir: Path, tmp_path: Path) -> None:
    proc = ape_run("store", "put", random_file(tmp_path / "m", 100), "--to", "file",
                   "--root", readonly_dir)
    assert_one_line_error(proc, "cannot write in", str(readonly_dir))
    assert list(readonly_dir.iterdir()) == []
