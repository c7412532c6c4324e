"""User defaults from a config file: ``[tool.wattprint]`` in a pyproject.toml, or ~/.config/wattprint/config.toml.

The first pyproject.toml with a ``[tool.wattprint]`` table found from the working directory upward wins;
otherwise ``$XDG_CONFIG_HOME/wattprint/config.toml`` (``~/.config/wattprint/config.toml``). Keys: region,
hardware, provider, pue, units. Flags (and a training spec's own fields) override them; every result
names the file a default came from.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wattprint.errors import WattprintError

KEYS = ("region", "hardware", "provider", "pue", "units")
UNITS = ("metric", "imperial")


@dataclass(frozen=True)
class UserDefaults:
    values: Mapping[str, Any] = field(default_factory=dict)
    #: "PATH [tool.wattprint]" or "PATH"; None when no config file was found
    source: str | None = None

    def get(self, key: str) -> Any:
        return self.values.get(key)


def _toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover (3.10)
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise WattprintError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise WattprintError(f"{path}: not valid TOML: {exc}") from None


def _validate(table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise WattprintError(f"{where}: must be a table of keys ({', '.join(KEYS)})")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            raise WattprintError(f"{where}: unknown key {key!r}", hint=f"known keys: {', '.join(KEYS)}")
        if key == "pue":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 1:
                raise WattprintError(f"{where}: pue = {value!r} must be a number >= 1.0",
                                     hint="PUE is facility energy / IT energy, e.g. pue = 1.1")
            out[key] = float(value)
        elif key == "units":
            if value not in UNITS:
                raise WattprintError(f"{where}: units = {value!r} must be 'metric' or 'imperial'")
            out[key] = value
        else:
            if not isinstance(value, str) or not value.strip():
                raise WattprintError(f"{where}: {key} = {value!r} must be a non-empty string (an id)")
            out[key] = value.strip()
    return out


def find_config(cwd: Path, env: Mapping[str, str]) -> tuple[Path, bool] | None:
    """(path, is_pyproject) of the config file in force, or None."""
    for folder in (cwd, *cwd.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "tool" in (doc := _toml(candidate)) and "wattprint" in doc["tool"]:
            return candidate, True
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path(env.get("HOME", "~")).expanduser() / ".config"
    user = base / "wattprint" / "config.toml"
    return (user, False) if user.is_file() else None


def load_user_defaults(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> UserDefaults:
    env = os.environ if env is None else env
    found = find_config((cwd or Path.cwd()).resolve(), env)
    if found is None:
        return UserDefaults()
    path, is_pyproject = found
    doc = _toml(path)
    if is_pyproject:
        where = f"{path} [tool.wattprint]"
        values = _validate(doc["tool"]["wattprint"], where)
    else:
        where = str(path)
        values = _validate(doc, where)
    return UserDefaults(values, where)


__all__ = ["KEYS", "UserDefaults", "find_config", "load_user_defaults"]
