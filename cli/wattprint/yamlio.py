"""Strict YAML loading: safe_load only, readable errors with file, line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wattprint.errors import WattprintError

try:  # libyaml's safe loader when available: same semantics, much faster
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeLoader


def read_text(path: Path, what: str = "file") -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WattprintError(f"{path}: {what} not found", hint="check the path") from None
    except IsADirectoryError:
        raise WattprintError(f"{path}: is a directory, expected a {what}") from None
    except UnicodeDecodeError:
        raise WattprintError(f"{path}: not UTF-8 text, expected a {what}") from None
    except OSError as exc:
        raise WattprintError(f"{path}: cannot read ({exc.strerror})") from None


def load_yaml(path: Path, what: str = "YAML file") -> Any:
    """``yaml.safe_load`` a file; a syntax error becomes 'FILE:LINE:COL: message'."""
    import yaml

    text = read_text(path, what)
    try:
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise WattprintError(f"{where}: YAML syntax error: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise WattprintError(f"{path}: YAML error: {exc}") from None


def key_line(path: Path, loc: tuple[Any, ...]) -> int | None:
    """Line number (1-based) of the mapping key or item at ``loc`` in a YAML file."""
    import yaml

    try:
        node = yaml.compose(read_text(path), Loader=_SafeLoader)
    except (yaml.YAMLError, WattprintError):
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def format_validation_error(path: Path | str, exc: Any, *, source_is_file: bool = True) -> WattprintError:
    """Turn a pydantic ValidationError into one readable WattprintError.

    Names the file, the line (when known), the field path and what is wrong.
    """
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    field = ".".join(str(p) for p in loc) or "(top level)"
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        msg = f"unknown field {field!r}"
        hint = "remove it or check its spelling"
    elif kind == "missing":
        msg = f"missing required field {field!r}"
        hint = None
    else:
        detail = err.get("msg", "invalid value")
        value = err.get("input")
        shown = "" if isinstance(value, (dict, list)) or value is None else f" (got {value!r})"
        msg = f"field {field!r}: {detail}{shown}"
        hint = None
    line = key_line(Path(path), loc) if source_is_file else None
    where = f"{path}:{line}" if line else f"{path}"
    extra = f" and {len(exc.errors()) - 1} more error(s)" if len(exc.errors()) > 1 else ""
    return WattprintError(f"{where}: {msg}{extra}", hint=hint)
