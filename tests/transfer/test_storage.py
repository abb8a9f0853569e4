"""offchain.transfer.storage: the central file store, URIs, sha256 checks, atomic writes, full disks."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offchain._fs import FileWriteError, OutputExistsError, atomic_output
from offchain.transfer import storage
from tests.conftest import ROOT
from tests.utils.keys import leftovers, limit_file_size, random_file


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> storage.FileStore:
    return storage.FileStore(tmp_path / "store")


def test_put_is_content_addressed(store: storage.FileStore, tmp_path: Path) -> None:
    src = random_file(tmp_path / "model.pgp", 3 * storage.CHUNK + 11)
    obj = store.put(src)
    assert obj.sha256 == sha256_of(src) and obj.size == src.stat().st_size
    stored = store.root / obj.sha256
    assert obj.uri == stored.as_uri() and obj.uri.startswith("file:///")
    assert stored.read_bytes() == src.read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) & 0o644 == 0o644
    again = store.put(src)
    assert again == obj
    assert sorted(p.name for p in store.root.iterdir()) == [obj.sha256]


def test_get_round_trip_by_uri(store: storage.FileStore, tmp_path: Path) -> None:
    src = random_file(tmp_path / "model.pgp", 70_000)
    obj = store.put(src)
    out = storage.fetch(obj.uri, obj.sha256, tmp_path / "fetched.pgp")
    assert out.read_bytes() == src.read_bytes()
    assert storage.store_for_uri(obj.uri).size(obj.uri) == obj.size
    assert isinstance(storage.store_for_uri(obj.uri), storage.FileStore)
    assert leftovers(tmp_path) == []


def test_the_expected_sha256_may_carry_0x_and_capitals(store: storage.FileStore,
                                                       tmp_path: Path) -> None:
    obj = store.put(random_file(tmp_path / "m", 10))
    out = store.get(obj.uri, "0x" + obj.sha256.upper(), tmp_path / "out")
    assert out.read_bytes() == (tmp_path / "m").read_bytes()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for property tests (Hypothesis runs many examples per test call)."""
    return tmp_path_factory.mktemp("examples")


@given(data=st.binary(max_size=5000))
def test_any_bytes_round_trip(scratch: Path, data: bytes) -> None:
    folder = Path(tempfile.mkdtemp(dir=scratch))
    (folder / "in").write_bytes(data)
    obj = storage.FileStore(folder / "root").put(folder / "in")
    assert obj.sha256 == hashlib.sha256(data).hexdigest() and obj.size == len(data)
    assert storage.fetch(obj.uri, obj.sha256, folder / "out").read_bytes() == data
    shutil.rmtree(folder)


def test_progress_counts_every_byte(store: storage.FileStore, tmp_path: Path) -> None:
    src = random_file(tmp_path / "m", 2 * storage.CHUNK + 5)
    seen: list[int] = []
    obj = store.put(src, progress=seen.append)
    assert sum(seen) == obj.size
    seen.clear()
    store.get(obj.uri, obj.sha256, tmp_path / "out", progress=seen.append)
    assert sum(seen) == obj.size


def test_open_store_from_arguments_and_environment(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRODNET_FILE_STORE", raising=False)
    with pytest.raises(storage.StorageError, match="--root DIR or set PRODNET_FILE_STORE"):
        storage.open_store("file")
    explicit = storage.open_store("file", root=tmp_path / "a")
    assert isinstance(explicit, storage.FileStore) and explicit.root == tmp_path / "a"
    monkeypatch.setenv("PRODNET_FILE_STORE", str(tmp_path / "b"))
    from_env = storage.open_store("file")
    assert isinstance(from_env, storage.FileStore) and from_env.root == tmp_path / "b"


# -- bad input -----------------------------------------------------------------------------
def test_sha256_mismatch_writes_nothing(store: storage.FileStore, tmp_path: Path) -> None:
    obj = store.put(random_file(tmp_path / "m", 5000))
    (tmp_path / "out").write_bytes(b"keep me")
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(storage.DigestMismatchError, match=wrong):
        store.get(obj.uri, wrong, tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == b"keep me"
    with pytest.raises(storage.DigestMismatchError, match="nothing was written"):
        store.get(obj.uri, wrong, tmp_path / "new")
    assert not (tmp_path / "new").exists() and leftovers(tmp_path) == []


def test_a_changed_object_in_the_store_is_refused(store: storage.FileStore,
                                                  tmp_path: Path) -> None:
    obj = store.put(random_file(tmp_path / "m", 5000))
    stored = store.root / obj.sha256
    data = bytearray(stored.read_bytes())
    data[100] ^= 1
    stored.write_bytes(bytes(data))
    with pytest.raises(storage.DigestMismatchError):
        store.get(obj.uri, obj.sha256, tmp_path / "out")
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("uri", ["s3://bucket/key", "https://example.org/x", "bafybeigdyrzt",
                                 "ftp:///tmp/x"])
def test_unknown_uri_scheme(uri: str, tmp_path: Path) -> None:
    with pytest.raises(storage.UnknownSchemeError, match="unknown URI scheme"):
        storage.fetch(uri, "0" * 64, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_store_kind() -> None:
    with pytest.raises(storage.UnknownSchemeError, match="use 'ipfs' or 'file'"):
        storage.open_store("s3")


@pytest.mark.parametrize("sha", ["", "abc", "g" * 64, "0" * 63])
def test_malformed_expected_sha256(store: storage.FileStore, tmp_path: Path, sha: str) -> None:
    obj = store.put(random_file(tmp_path / "m", 10))
    with pytest.raises(storage.StorageError, match="is not a sha256"):
        store.get(obj.uri, sha, tmp_path / "out")


def test_file_uris_must_name_a_stored_object(tmp_path: Path) -> None:
    with pytest.raises(storage.StorageError, match="64-hex sha256"):
        storage.fetch((tmp_path / "model.stl").as_uri(), "0" * 64, tmp_path / "out")
    with pytest.raises(storage.UnknownSchemeError):
        storage.fetch("file://otherhost/" + "0" * 64, "0" * 64, tmp_path / "out")
    missing = (tmp_path / ("ab" * 32)).as_uri()
    with pytest.raises(storage.ObjectNotFoundError, match="not in the file store"):
        storage.fetch(missing, "ab" * 32, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_inputs_that_are_not_files(store: storage.FileStore, tmp_path: Path) -> None:
    with pytest.raises(storage.StorageError, match="cannot read"):
        store.put(tmp_path / "missing")
    with pytest.raises(storage.StorageError, match="is a folder"):
        store.put(tmp_path)
    obj = store.put(random_file(tmp_path / "m", 10))
    with pytest.raises(FileWriteError, match="is a folder"):
        store.get(obj.uri, obj.sha256, tmp_path)
    with pytest.raises(FileWriteError, match="does not exist"):
        store.get(obj.uri, obj.sha256, tmp_path / "no" / "such" / "out")


def test_disk_full_in_the_store_leaves_no_partial_file(full_disk: Path, tmp_path: Path) -> None:
    src = random_file(tmp_path / "big", 2 << 20)
    with pytest.raises(FileWriteError, match="no space left"):
        storage.FileStore(full_disk).put(src)
    assert list(full_disk.iterdir()) == []


def test_disk_full_on_get_leaves_nothing(store: storage.FileStore, full_disk: Path,
                                         tmp_path: Path) -> None:
    obj = store.put(random_file(tmp_path / "big", 2 << 20))
    with pytest.raises(FileWriteError, match="no space left"):
        store.get(obj.uri, obj.sha256, full_disk / "out")
    assert list(full_disk.iterdir()) == []


def test_read_only_store_folder(readonly_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(FileWriteError, match="cannot write in"):
        storage.FileStore(readonly_dir).put(random_file(tmp_path / "m", 100))
    assert list(readonly_dir.iterdir()) == []


_CHILD = """
import json, sys
from offchain._fs import FileWriteError
from offchain.transfer import storage
try:
    storage.FileStore(sys.argv[1]).put(sys.argv[2])
except FileWriteError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
else:
    print(json.dumps({"error": None}))
"""


def test_file_size_limit_in_the_store_leaves_no_partial_file(tmp_path: Path) -> None:
    """Disk full without a mount: the child may not write files over 1 MiB (RLIMIT_FSIZE)."""
    src = random_file(tmp_path / "big", 3 << 20)
    root = tmp_path / "root"
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), str(src)], cwd=ROOT, capture_output=True,
        text=True, check=False, preexec_fn=limit_file_size(1 << 20),
    )
    result = json.loads(proc.stdout)
    assert result["error"] == "FileWriteError", proc.stderr
    assert "file size limit" in result["message"]
    assert list(root.iterdir()) == []


def test_atomic_output_is_all_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), atomic_output(target) as out:
        out.write(b"half")
        raise RuntimeError("boom")
    assert not target.exists() and leftovers(tmp_path) == []
    with atomic_output(target, mode=0o600) as out:
        out.write(b"whole")
    assert target.read_bytes() == b"whole" and stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(OutputExistsError), \
            atomic_output(target, exclusive=True) as out:
        out.write(b"other")
    assert target.read_bytes() == b"whole" and leftovers(tmp_path) == []
