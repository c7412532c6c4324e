"""Where the shipped data lives: inside the wheel or in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder of shipped data ``name`` ("hwprofiles" or "regions").

    A wheel carries it as ``wattprint/_data/<name>``; an editable install or a
    plain checkout finds it at the repository top level (``cli/..``).
    """
    for candidate in (_PKG / "_data" / name, _PKG.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"wattprint data folder {name!r} not found; reinstall wattprint")


def package_data(name: str) -> Path:
    """A data file that lives inside the package itself (e.g. comparisons.yaml)."""
    return _PKG / "data" / name


@cache
def data_version() -> str:
    """A short fingerprint of the shipped data, recorded in every JSON result.

    Two results with different data versions used different reference figures.
    """
    import hashlib

    from wattprint import __version__

    digest = hashlib.sha256()
    for name in ("hwprofiles", "hwprofiles/systems", "regions"):
        folder = data_dir(name)
        for path in sorted(folder.iterdir()):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    digest.update(package_data("comparisons.yaml").read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"
