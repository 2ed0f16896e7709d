"""Fitted models kept on disk between starts, so a restart loads them instead of fitting.

A fit is stored under a digest of everything it depends on: the data it was fitted on,
its options, the source of this package (a change to any feature or model refits) and
the versions of the libraries that fit and score. The same inputs always find the same
file; anything else finds none and fits. Files are written whole (a temporary file,
then a rename), so a worker never reads half of one, and only a few of each kind are
kept. The folder is the service's own (instance/models): pickle files are loaded only
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


def cached(directory, kind, key, fit):
    """fit()'s result, loaded from `directory` when a fit with this key was stored, else
    fitted and stored. No directory (or one that cannot be written): fit every time."""
    if not directory:
        return fit()
    folder = Path(directory)
    path = folder / f"{kind}-{key}.pickle"
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        pass
    except Exception as error:  # a damaged file: fit again and replace it
        log.warning("fitted %s at %s unreadable (%s): fitting again", kind, path.name, error)
    value = fit()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as handle:
            pickle.dump(value, handle, protocol=5)
        os.replace(handle.name, path)
        _prune(folder, kind)
    except OSError as error:
        log.warning("could not keep the fitted %s (%s): the next start fits again", kind, error)
    return value


def _prune(folder, kind):
    files = sorted(folder.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime)
    for old in files[:-KEEP]:
        old.unlink(missing_ok=True)
