"""Files from outside by pinned URL (``outside.url_files``): only the pinned bytes are kept, and
a file that cannot be had is one line (here with file:// URLs: no internet needed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from offchain.devtools import outside


def _pin(monkeypatch: pytest.MonkeyPatch, source: Path, sha256: str, size: int) -> None:
    monkeypatch.setattr(outside, "URLS", {"part.3mf": (source.as_uri(), sha256, size)})


def test_the_pinned_bytes_are_kept_and_found_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "source.3mf"
    source.write_bytes(b"PK\x03\x04 a sample")
    _pin(monkeypatch, source, hashlib.sha256(source.read_bytes()).hexdigest(), source.stat().st_size)
    cache = tmp_path / "cache"
    fetched = outside.url_files(cache)
    assert fetched == {"part.3mf": cache / "part.3mf"}
    assert fetched["part.3mf"].read_bytes() == source.read_bytes()
    source.unlink()  # in the cache now: nothing is fetched again
    assert outside.url_files(cache) == fetched


def test_other_bytes_are_refused_and_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "source.3mf"
    source.write_bytes(b"PK\x03\x04 changed upstream")
    _pin(monkeypatch, source, "0" * 64, source.stat().st_size)
    cache = tmp_path / "cache"
    with pytest.raises(outside.OutsideFilesError, match="not the pinned") as caught:
        outside.url_files(cache)
    assert "\n" not in str(caught.value)
    assert list(cache.iterdir()) == []


def test_an_unreachable_file_is_one_line_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "gone.3mf"
    _pin(monkeypatch, missing, "0" * 64, 1)
    with pytest.raises(outside.OutsideFilesError) as caught:
        outside.url_files(tmp_path / "cache")
    message = str(caught.value)
    assert message.startswith(f"could not fetch {missing.as_uri()} (")
    assert "skip" in message and "\n" not in message
