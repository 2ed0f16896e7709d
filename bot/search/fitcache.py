"""Fitted models kept on disk between starts, so a restart loads them instead of fitting.

A fit is stored under a digest of everything it depends on: the data it was fitted on,
its options, the source of this package (a change to any feature or model refits) and
the versions of the libraries that fit and score. The same inputs always find the same
file; anything else finds none and fits. Files are written whole (a temporary file,
then a rename), so a worker never reads half of one, and only a few of each kind are
kept. The folder is the service's own (FIT_CACHE_DIR, instance/fitted): pickle files are loaded only
from there, never from anywhere a user can write.

Pure: no Flask, no database.
"""

import functools
import hashlib
import logging
import os
import pickle
import tempfile
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)
LIBRARIES = ("scikit-learn", "numpy", "scipy", "jieba", "pypinyin", "mmh3")
KEEP = 4  # files of each kind: the current fit and a few before it


@functools.cache
def _source_digest():
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    for name in LIBRARIES:
        digest.update(f"{name}={metadata.version(name)}".encode())
    return digest.hexdigest()


def digest(*parts):
    """A key for a fit: what it depends on (picklable values, or file paths for their
    content), with the package's source and the library versions."""
    hasher = hashlib.sha256(_source_digest().encode())
    for part in parts:
        if isinstance(part, Path):
            hasher.update(part.read_bytes() if part.exists() else b"(missing)")
        else:
            hasher.update(pickle.dumps(part, protocol=5))
    return hasher.hexdigest()[:40]


def cached(directory, kind, key, fit, isolate=False):
    """fit()'s result, loaded from `directory` when a fit with this key was stored, else
    fitted and stored. No directory (or one that cannot be written): fit every time.

    isolate: fit in a forked child that stores the result, then load it here, so this
    process never holds what fitting needs (scikit-learn, its scratch memory). For a
    server's start, before its workers fork from it; not from a threaded process.
    """
    if not directory:
        return fit()
    folder = Path(directory)
    path = folder / f"{kind}-{key}.pickle"
    value = _load(path, kind)
    if value is not None:
        return value
    if isolate and hasattr(os, "fork"):
        child = os.fork()
        if child == 0:  # the child: fit, store, and leave without running any cleanup
            try:
                _store(folder, kind, path, fit())
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        value = _load(path, kind)
        if value is not None:
            return value
    value = fit()
    _store(folder, kind, path, value)
    return value


def _load(path, kind):
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as error:  # a damaged file: fit again and replace it
        log.warning("fitted %s at %s unreadable (%s): fitting again", kind, path.name, error)
        return None


def _store(folder, kind, path, value):
    handle = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as handle:
            pickle.dump(value, handle, protocol=5)
        os.replace(handle.name, path)
        _prune(folder, kind)
    except (OSError, pickle.PicklingError) as error:
        if handle is not None:
            Path(handle.name).unlink(missing_ok=True)
        log.warning("could not keep the fitted %s (%s): the next start fits again", kind, error)


def _prune(folder, kind):
    files = sorted(folder.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime)
    for old in files[:-KEEP]:
        old.unlink(missing_ok=True)
