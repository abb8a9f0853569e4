"""Where ciphertexts live: ``ipfs://CID`` on a Kubo node, or ``file://`` in a central folder.

One interface, two back-ends, chosen by URI scheme:

    store = open_store("ipfs", ipfs_api="/ip4/127.0.0.1/tcp/5001")   # or open_store("file", root=DIR)
    obj = store.put(Path("model.stl.pgp"))          # StoredObject(uri, sha256, size)
    store_for_uri(obj.uri).get(obj.uri, obj.sha256, Path("fetched.pgp"))

Every transfer streams in fixed-size chunks and hashes on the way. ``get`` downloads to
a temporary file next to the output, checks the sha256 the caller expects (the one on
chain) and only then renames it into place: a mismatch writes nothing. The file store
is content-addressed (``<root>/<sha256>``) and written the same way (temp file in the
same folder, fsync, rename, fsync the folder).

Configuration comes from arguments or the environment: ``PRODNET_IPFS_API`` (a
multiaddr, default ``/ip4/127.0.0.1/tcp/5001``) and ``PRODNET_FILE_STORE`` (a folder).
"""

from __future__ import annotations

import hashlib
import queue
import re
import threading
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlparse

from offchain import config
from offchain._fs import AtomicFile, atomic_output, write_error
from offchain.errors import ProdnetError

CHUNK = 1 << 20
DEFAULT_IPFS_API = config.DEFAULT_IPFS_API
Progress = Callable[[int], None]


# -- errors ---------------------------------------------------------------------------
class StorageError(ProdnetError):
    """Storing or fetching a ciphertext failed; the message says why and what to do."""


class UnknownSchemeError(StorageError):
    """The URI or store kind is neither ipfs nor file."""


class StoreUnavailableError(StorageError):
    """The Kubo daemon cannot be reached."""


class ObjectNotFoundError(StorageError):
    """The URI names nothing in the store."""


class ObjectUnreachableError(ObjectNotFoundError):
    """The own Kubo daemon answers, but no node it can reach holds the object within the bound.

    WHAT names the object and HOLDER the node that stored it, so a caller that knows more
    (fetch-model: "job 3's model", "the customer's node") says the same sentence in its words.
    """

    def __init__(self, uri: str, seconds: float, what: str = "", holder: str = "") -> None:
        self.uri, self.seconds = uri, seconds
        what = what or uri
        holder = holder or "the node that stored it"
        super().__init__(
            f"no node that holds {what} is reachable (looked for {seconds:.0f}s): {holder} is "
            "offline and no other node pinned it; bring that node online (or have the object "
            "pinned elsewhere), then fetch again"
        )

    def about(self, what: str, holder: str) -> ObjectUnreachableError:
        """The same error, naming the object and its holder in the caller's words."""
        return ObjectUnreachableError(self.uri, self.seconds, what, holder)


class DigestMismatchError(StorageError):
    """The fetched bytes are not the ones the caller expected (sha256 differs)."""


# -- objects and digests ----------------------------------------------------------------
@dataclass(frozen=True)
class StoredObject:
    """A stored ciphertext: where it is, its sha256 (hex) and its size in bytes."""

    uri: str
    sha256: str
    size: int


def normalize_sha256(value: str) -> str:
    """64 lower-case hex digits (an optional 0x prefix is accepted, as the chain prints it)."""
    text = value.strip().lower()
    text = text.removeprefix("0x")
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise StorageError(f"{value!r} is not a sha256: give 64 hex digits (e.g. from the chain)")
    return text


class _HashingReader:
    """A read-only file wrapper that hashes and counts what passes through it."""

    def __init__(self, raw: BinaryIO, name: str, progress: Progress | None) -> None:
        self._raw = raw
        self.name = name  # ipfshttpclient sends it as the multipart file name
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._progress = progress

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        if data:
            self.sha256.update(data)
            self.size += len(data)
            if self._progress:
                self._progress(len(data))
        return data


def _open_input(path: Path) -> BinaryIO:
    if path.is_dir():
        raise StorageError(f"{path} is a folder: store one file (the ciphertext)")
    try:
        return open(path, "rb")
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None


class _Sink:
    """Hash and write 1 MiB blocks on a worker thread while the caller keeps receiving.

    The HTTP client hands out 4 KiB pieces in pure Python; sha256 and file writes
    release the GIL, so doing them on a second thread overlaps them with receiving.
    At most DEPTH blocks wait in the queue. The first write error stops the worker's
    writes and is raised to the caller (at the next ``put`` or at ``close``).
    """

    DEPTH = 4

    def __init__(self, temp: AtomicFile) -> None:
        self.digest = hashlib.sha256()
        self._temp = temp
        self._queue: queue.Queue[bytes | None] = queue.Queue(self.DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="prodnet-sink", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (block := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self.digest.update(block)
                    self._temp.write(block)
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc

    def put(self, block: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(block)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def _receive(
    chunks: Iterator[bytes], expected: str, out: Path, source: str, progress: Progress | None
) -> Path:
    """Write CHUNKS to OUT only if their sha256 is EXPECTED."""
    with atomic_output(out) as temp:
        sink = _Sink(temp)
        pending = bytearray()
        try:
            for chunk in chunks:
                pending += chunk
                if len(pending) >= CHUNK:
                    sink.put(bytes(pending))
                    if progress:
                        progress(len(pending))
                    pending.clear()
            sink.put(bytes(pending))
            if progress and pending:
                progress(len(pending))
        finally:
            sink.close()
        if sink.digest.hexdigest() != expected:
            raise DigestMismatchError(
                f"{source} has sha256 {sink.digest.hexdigest()}, not the expected {expected}: "
                "the stored object is not the one recorded (nothing was written)"
            )
    return out


# -- stores ---------------------------------------------------------------------------
class Store(ABC):
    """A place to put a file and get it back by URI, checked by sha256."""

    scheme: str

    @abstractmethod
    def put(
        self, path: str | Path, progress: Progress | None = None, pin_name: str = ""
    ) -> StoredObject:
        """Store the file at PATH; return its URI, sha256 and size. PIN_NAME labels the pin
        where the store has pins (IPFS); the file store keeps every object anyway."""

    @abstractmethod
    def get(
        self,
        uri: str,
        expected_sha256: str,
        out_path: str | Path,
        progress: Progress | None = None,
    ) -> Path:
        """Fetch URI into OUT_PATH if its sha256 is EXPECTED_SHA256; else raise, writing nothing."""

    @abstractmethod
    def size(self, uri: str) -> int:
        """The size in bytes of the object at URI (for progress bars)."""


class FileStore(Store):
    """A central folder of files named by their sha256."""

    scheme = "file"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().absolute()

    def uri_for(self, sha256: str) -> str:
        return (self.root / sha256).as_uri()

    def put(
        self, path: str | Path, progress: Progress | None = None, pin_name: str = ""
    ) -> StoredObject:
        path = Path(path)
        with _open_input(path) as raw:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise write_error(exc, self.root / "x") from None
            reader = _HashingReader(raw, path.name, progress)
            temp = AtomicFile(self.root, 0o644, hint="incoming")
            try:
                while chunk := reader.read(CHUNK):
                    temp.write(chunk)
            except OSError as exc:
                temp.abort()
                raise write_error(exc, temp.path) from None
            except BaseException:
                temp.abort()
                raise
            sha = reader.sha256.hexdigest()
            temp.commit(self.root / sha)
        return StoredObject(self.uri_for(sha), sha, reader.size)

    @staticmethod
    def path_of(uri: str) -> Path:
        parsed = urlparse(uri)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            raise UnknownSchemeError(f"{uri!r} is not a file:/// URI of the central file store")
        path = Path(unquote(parsed.path))
        if not re.fullmatch(r"[0-9a-f]{64}", path.name):
            raise StorageError(
                f"{uri!r} is not a file-store object: its name must be the 64-hex sha256"
            )
        return path

    def size(self, uri: str) -> int:
        try:
            return self.path_of(uri).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFoundError(f"{uri} is not in the file store") from None
        except OSError as exc:
            raise StorageError(f"cannot read {uri}: {exc.strerror or exc}") from None

    def get(
        self,
        uri: str,
        expected_sha256: str,
        out_path: str | Path,
        progress: Progress | None = None,
    ) -> Path:
        expected = normalize_sha256(expected_sha256)
        path = self.path_of(uri)
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise ObjectNotFoundError(
                f"{uri} is not in the file store (no {path}); check the URI on chain"
            ) from None
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
        with raw:
            return _receive(iter(lambda: raw.read(CHUNK), b""), expected, Path(out_path), uri,
                            progress)


_CID = re.compile(r"[A-Za-z0-9]{8,128}")


def _quiet_client_warnings(version_mismatch: type[Warning]) -> None:
    """Silence, for the whole process, two harmless warnings of ipfshttpclient 0.8.0a2 (set
    once for all threads: ``warnings.catch_warnings`` around each call is not thread-safe, and
    the producer's follower runs on a thread beside the steps in the demo and the portal)."""
    # 0.8.0a2 knows daemons < 0.9 only and warns VersionMismatch for newer Kubo, whose RPC
    # API it speaks fine for the calls used here (each is tested against it).
    warnings.filterwarnings("ignore", category=version_mismatch)
    # Its requests wrapper passes urllib3 the obsolete `strict` argument on every new
    # connection, which urllib3 2.x answers with this FutureWarning.
    warnings.filterwarnings(
        "ignore", message="The 'strict' parameter is no longer needed", category=FutureWarning
    )


class IpfsStore(Store):
    """Objects on a Kubo node (pinned, CIDv1), through ipfshttpclient 0.8.0a2."""

    scheme = "ipfs"

    def __init__(
        self, api: str | None = None, *, timeout: float = 120.0, find_timeout: float | None = None
    ) -> None:
        self.api = api or config.ipfs_api()
        self.timeout = timeout
        # how long a fetch looks for the object's first block on the reachable nodes before
        # it says none holds it (the transfer itself then has the longer read timeout)
        self.find_timeout = min(find_timeout or config.ipfs_find_timeout(), timeout)
        self._looking_for: str | None = None  # the URI a timeout means "nobody holds" for

    @contextmanager
    def connect(self) -> Iterator[object]:
        """An ipfshttpclient client whose failures become StorageError sentences."""
        import ipfshttpclient
        from ipfshttpclient import exceptions as ipfs_errors

        _quiet_client_warnings(ipfs_errors.VersionMismatch)
        try:
            client = ipfshttpclient.connect(
                self.api, chunk_size=CHUNK, timeout=self.timeout, session=True
            )
        except ipfs_errors.AddressError:
            raise StorageError(
                f"{self.api!r} is not a Kubo API multiaddr: use e.g. /ip4/127.0.0.1/tcp/5001"
            ) from None
        except ipfs_errors.CommunicationError:
            raise self._unreachable() from None
        try:
            yield client
        except ipfs_errors.TimeoutError:
            if self._looking_for and self._answers():
                # the daemon is up: it is the object's blocks that stopped arriving
                raise ObjectUnreachableError(self._looking_for, self.timeout) from None
            raise StorageError(
                f"the Kubo daemon at {self.api} did not answer within {self.timeout:.0f}s: it "
                "is running but stuck; restart it ('ipfs daemon') and try again"
            ) from None
        except ipfs_errors.ConnectionError:
            raise self._unreachable() from None
        except ipfs_errors.ErrorResponse as exc:
            if self._looking_for and "deadline exceeded" in str(exc):
                raise ObjectUnreachableError(self._looking_for, self.find_timeout) from None
            raise StorageError(f"the Kubo daemon at {self.api} refused: {exc}") from None
        except ipfs_errors.CommunicationError as exc:
            raise StorageError(
                f"talking to the Kubo daemon at {self.api} failed: {exc}"
            ) from None
        finally:
            self._looking_for = None
            client.close()

    def _answers(self) -> bool:
        """Whether the daemon answers a trivial call within a few seconds."""
        import ipfshttpclient

        try:
            with ipfshttpclient.connect(self.api, timeout=5, session=True) as client:
                client.id()
        except Exception:  # any failure means: it does not answer
            return False
        return True

    def find(self, uri: str, client: object) -> None:
        """Find URI's root block within find_timeout (Kubo's own per-call timeout), so that
        "no reachable node holds it" is told apart from "this daemon does not answer"; until
        connect() ends, a timeout reading URI's blocks means the former when the daemon is up."""
        self._looking_for = uri
        client._client.request(  # type: ignore[attr-defined]
            "/block/stat", (self.cid_of(uri),), decoder="json",
            opts={"timeout": f"{self.find_timeout:g}s"},
        )

    def _unreachable(self) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"cannot reach the Kubo (IPFS) daemon at {self.api}: is it running? "
            "start it ('ipfs daemon') or point --ipfs-api / PRODNET_IPFS_API at it"
        )

    def put(
        self, path: str | Path, progress: Progress | None = None, pin_name: str = ""
    ) -> StoredObject:
        """Add and pin PATH; PIN_NAME labels the pin (``ipfs pin ls --names`` shows it)."""
        path = Path(path)
        with _open_input(path) as raw, self.connect() as client:
            reader = _HashingReader(raw, path.name, progress)
            # One streamed multipart upload; pinned; CIDv1 with raw leaves like `ipfs add
            # --cid-version=1` (the client would send raw-leaves=false unless told).
            extra = {"opts": {"pin-name": pin_name}} if pin_name else {}
            added = client.add(  # type: ignore[attr-defined]
                reader, cid_version=1, raw_leaves=True, pin=True, **extra
            )
        return StoredObject(f"ipfs://{added['Hash']}", reader.sha256.hexdigest(), reader.size)

    @staticmethod
    def cid_of(uri: str) -> str:
        parsed = urlparse(uri)
        cid = parsed.netloc
        if parsed.scheme != "ipfs" or parsed.path not in ("", "/") or not _CID.fullmatch(cid):
            raise StorageError(f"{uri!r} is not an ipfs://CID URI")
        return cid

    def size(self, uri: str) -> int:
        cid = self.cid_of(uri)
        with self.connect() as client:
            self.find(uri, client)
            return int(client.files.stat(f"/ipfs/{cid}")["Size"])  # type: ignore[attr-defined]

    def get(
        self,
        uri: str,
        expected_sha256: str,
        out_path: str | Path,
        progress: Progress | None = None,
    ) -> Path:
        expected = normalize_sha256(expected_sha256)
        cid = self.cid_of(uri)
        with self.connect() as client:
            self.find(uri, client)
            chunks = client.cat(cid, stream=True)  # type: ignore[attr-defined]
            try:
                return _receive(iter(chunks), expected, Path(out_path), uri, progress)
            finally:
                chunks.close()


def open_store(
    kind: str, *, ipfs_api: str | None = None, root: str | Path | None = None
) -> Store:
    """The store for KIND ("ipfs" or "file"), configured from arguments or the environment."""
    if kind == "ipfs":
        return IpfsStore(ipfs_api)
    if kind == "file":
        folder = root or config.file_store()
        if not folder:
            raise StorageError("no file store folder: give --root DIR or set PRODNET_FILE_STORE")
        return FileStore(folder)
    raise UnknownSchemeError(f"unknown store {kind!r}: use 'ipfs' or 'file'")


def store_for_uri(uri: str, *, ipfs_api: str | None = None) -> Store:
    """The store that can fetch URI, by its scheme."""
    scheme = urlparse(uri).scheme
    if scheme == "ipfs":
        return IpfsStore(ipfs_api)
    if scheme == "file":
        return FileStore(FileStore.path_of(uri).parent)
    raise UnknownSchemeError(
        f"unknown URI scheme {scheme + '://' if scheme else 'in ' + repr(uri)}: "
        "use ipfs://CID or file:///path/<sha256>"
    )


def fetch(
    uri: str,
    expected_sha256: str,
    out_path: str | Path,
    *,
    ipfs_api: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Fetch URI into OUT_PATH, verified against EXPECTED_SHA256."""
    return store_for_uri(uri, ipfs_api=ipfs_api).get(uri, expected_sha256, out_path, progress)
