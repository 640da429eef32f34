"""The published files as the server reads them: one :class:`Version` per file, kept in
memory.

Files up to ``MAX_CACHED`` bytes are kept in memory with their twin, keyed by the file's
inode, size and mtime, so a request costs one ``stat`` and no read. The twin is checked to
hold the same bytes when it is read; a file whose twin was missing or stale (renamed a
moment after it) looks for it again at most once a second. Only regular files whose real
path, links resolved, is inside the directory and ends with one of the served suffixes
are read (a link to ``/etc/passwd`` named ``x.atom`` is not).
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import os
import stat
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CACHE_BYTES", "CONTENT_TYPES", "MAX_CACHED", "TWIN_RECHECK", "Version", "Versions"]

CONTENT_TYPES = {
    ".atom": b"application/atom+xml; charset=utf-8",
    ".rss": b"application/rss+xml; charset=utf-8",
    ".json": b"application/feed+json; charset=utf-8",
    ".opml": b"text/x-opml; charset=utf-8",
    ".xml": b"application/xml; charset=utf-8",
}
#: files larger than this are read for each request instead of kept in memory
MAX_CACHED = 1024 * 1024
#: total bytes kept in memory
CACHE_BYTES = 64 * 1024 * 1024
#: seconds between looks for the gzip twin of a file that had none
TWIN_RECHECK = 1.0


@dataclass
class Version:
    """One version of a file on disk: its bytes (when small), validators and gzip twin."""

    key: tuple[int, int, int, int]  # inode, size, mtime (ns), device
    path: str  # its real path (links resolved), inside the directory
    twin: tuple[int, int]  # the .gz twin's inode and mtime (ns) when read; (0, 0): none
    twin_seen: float  # when the twin was last looked for (monotonic)
    content_type: bytes
    etag: bytes
    etag_gz: bytes
    last_modified: bytes
    mtime: int
    body: bytes | None
    gz: bytes | None
    size: int

    def read(self) -> bytes | None:
        """The bytes of a file too large to keep, read from its real path (checked inside)."""
        try:
            with open(self.path, "rb") as handle:
                return handle.read()
        except OSError:
            return None


class Versions:
    """The current :class:`Version` of the files under ``directory`` whose names end with
    one of ``suffixes``, the small ones kept in memory (see the module)."""

    def __init__(self, directory: Path, suffixes: tuple[str, ...]) -> None:
        self.directory = directory
        self.suffixes = suffixes
        self._cache: OrderedDict[str, Version] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()

    def get(self, relpath: str) -> Version | None:
        """The file at ``relpath`` under the directory as it is now, or None when there is
        none to serve there."""
        path = os.path.join(self.directory, relpath)
        try:
            st = os.stat(path)
        except OSError:
            return None
        key = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_dev)
        found = self._cache.get(relpath)
        if found is not None and found.key == key:
            if found.gz is not None or found.size > MAX_CACHED:
                return found
            now = time.monotonic()
            if now - found.twin_seen < TWIN_RECHECK:
                return found
            found.twin_seen = now
            if _twin(found.path) == found.twin:
                return found
        if not stat.S_ISREG(st.st_mode):
            return None
        real = _inside(path, self.directory)
        if real is None or not real.endswith(self.suffixes):
            return None
        content_type = CONTENT_TYPES.get(os.path.splitext(relpath)[1], b"application/octet-stream")
        version = _load(real, key, content_type)
        if version is not None:
            self._remember(relpath, version)
        return version

    def _remember(self, relpath: str, version: Version) -> None:
        size = len(version.body or b"") + len(version.gz or b"")
        with self._lock:
            old = self._cache.pop(relpath, None)
            if old is not None:
                self._cached_bytes -= len(old.body or b"") + len(old.gz or b"")
            self._cache[relpath] = version
            self._cached_bytes += size
            while self._cached_bytes > CACHE_BYTES and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                self._cached_bytes -= len(dropped.body or b"") + len(dropped.gz or b"")


def _load(path: str, key: tuple[int, int, int, int], content_type: bytes) -> Version | None:
    """Read the file at its real ``path`` (and its twin, checked to hold the same bytes)
    for a new version."""
    twin = _twin(path)
    try:
        with open(path, "rb") as handle:
            body = handle.read()
            st = os.fstat(handle.fileno())
    except OSError:
        return None
    if (st.st_ino, st.st_size, st.st_mtime_ns) != key[:3]:
        return None  # replaced meanwhile: the next request reads the new one
    gz: bytes | None = None
    if twin[0] and st.st_size <= MAX_CACHED:
        try:
            data = Path(f"{path}.gz").read_bytes()
            gz = data if gzip.decompress(data) == body else None  # a twin not yet renamed
        except (OSError, EOFError, gzip.BadGzipFile):
            gz = None
    mtime = int(st.st_mtime)
    etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
    return Version(
        key=key,
        path=path,
        twin=twin,
        twin_seen=time.monotonic(),
        content_type=content_type,
        etag=etag,
        etag_gz=etag[:-1] + b'-gz"',
        last_modified=email.utils.formatdate(mtime, usegmt=True).encode(),
        mtime=mtime,
        body=body if st.st_size <= MAX_CACHED else None,
        gz=gz,
        size=st.st_size,
    )


def _inside(path: str, directory: Path) -> str | None:
    """``path`` with its links resolved, when that is inside ``directory`` (itself
    resolved: the output directory may be a link); None when a link leads out."""
    real = os.path.realpath(path)
    root = os.path.realpath(directory)
    return real if real.startswith(root.rstrip(os.sep) + os.sep) else None


def _twin(path: str) -> tuple[int, int]:
    try:
        st = os.stat(f"{path}.gz")
    except OSError:
        return (0, 0)
    return (st.st_ino, st.st_mtime_ns)
