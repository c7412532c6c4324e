"""Strict YAML and JSON loading: safe_load only, readable errors with file, line and column.

Strict means: a duplicate mapping key is an error (YAML would silently keep the last one), a NUL
byte is an error naming its line, an integer of more than ``MAX_NUMBER_DIGITS`` digits is an
error (Python would refuse it with a ValueError past 4,300), values nested too deeply are an error,
and a file is checked by kind and size before it is read (:func:`wattprint.limits.check_file`).
Every YAML or JSON input file is read here: :func:`load_yaml` and :func:`load_json`.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wattprint.errors import WattprintError

if TYPE_CHECKING:  # the stubs type both loaders alike: check against the pure-Python one
    from yaml import MappingNode, ScalarNode
    from yaml import SafeLoader as _BaseLoader
else:
    try:  # libyaml's safe loader when available: same semantics, much faster
        from yaml import CSafeLoader as _BaseLoader
    except ImportError:  # pragma: no cover - depends on how PyYAML was built
        from yaml import SafeLoader as _BaseLoader


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int):
        self.key, self.line, self.first = key, line, first


class _NumberTooLarge(Exception):
    def __init__(self, digits: int, line: int | None = None):
        self.digits, self.line = digits, line


def _too_many_digits(text: str) -> int | None:
    """The digit count of an integer literal past ``MAX_NUMBER_DIGITS``, else None."""
    from wattprint.limits import MAX_NUMBER_DIGITS

    if len(text) <= MAX_NUMBER_DIGITS:
        return None
    digits = sum(c.isalnum() for c in text)  # (YAML allows 1_000 and 0x...; signs and '_' are not digits)
    return digits if digits > MAX_NUMBER_DIGITS else None


def _number_too_large(path: Path | str, exc: _NumberTooLarge, what: str) -> WattprintError:
    from wattprint.limits import MAX_NUMBER_DIGITS

    where = f"{path}:{exc.line}" if exc.line else f"{path}"
    return WattprintError(
        f"{where}: a number too large to read ({exc.digits:,} digits; a {what} number has at most "
        f"{MAX_NUMBER_DIGITS} digits)",
        hint="check the value: it is far beyond any real figure",
    )


class _SafeLoader(_BaseLoader):
    """The safe loader, refusing duplicate keys in a mapping and integers too long to read."""

    def construct_yaml_int(self, node: ScalarNode) -> int:  # noqa: D102
        digits = _too_many_digits(str(node.value))
        if digits is not None:
            raise _NumberTooLarge(digits, node.start_mark.line + 1)
        return super().construct_yaml_int(node)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:  # noqa: D102
        import yaml

        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                try:
                    key = self.construct_object(key_node, deep=True)
                    hash(key)
                except Exception:  # unhashable keys: the base class reports them
                    continue
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _DuplicateKey(key, line, seen[key])
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


# the stubs type a constructor's self as a Loader, and construct_yaml_map's as SafeConstructor: hence the ignore
_SafeLoader.add_constructor("tag:yaml.org,2002:map", _SafeLoader.construct_yaml_map)  # type: ignore[type-var]
_SafeLoader.add_constructor("tag:yaml.org,2002:int", _SafeLoader.construct_yaml_int)


def read_text(path: Path, what: str = "file") -> str:
    from wattprint.limits import check_file

    check_file(path, what)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WattprintError(f"{path}: {what} not found", hint="check the path") from None
    except IsADirectoryError:
        raise WattprintError(f"{path}: is a directory, expected a {what}") from None
    except UnicodeDecodeError as exc:
        raise WattprintError(f"{path}: not UTF-8 text (byte {exc.start}), expected a {what}") from None
    except OSError as exc:
        raise WattprintError(f"{path}: cannot read ({exc.strerror})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise WattprintError(f"{path}:{line}: NUL byte in a {what}", hint="the file is binary or corrupt")
    return text


def load_yaml(path: Path, what: str = "YAML file") -> Any:
    """Strictly load a YAML file; a syntax error becomes 'FILE:LINE:COL: message'."""
    import yaml

    text = read_text(path, what)
    try:
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - safe loader
    except _DuplicateKey as exc:
        raise WattprintError(
            f"{path}:{exc.line}: duplicate key {exc.key!r} (first at line {exc.first})",
            hint="keep one: YAML would silently use the last",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise WattprintError(f"{where}: YAML syntax error: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise WattprintError(f"{path}: YAML error: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    except _NumberTooLarge as exc:
        raise _number_too_large(path, exc, what) from None
    except RecursionError:
        raise WattprintError(f"{path}: values nested too deeply for a {what}") from None


def _json_int(text: str) -> int:
    digits = _too_many_digits(text)
    if digits is not None:
        raise _NumberTooLarge(digits)
    return int(text)


def parse_json(text: str, path: Path | str, what: str = "JSON file", hint: str | None = None) -> Any:
    """Parse JSON ``text`` read from ``path``; a syntax error becomes 'FILE:LINE: not valid JSON (message)'.

    An integer too long to read and values nested too deeply are errors naming the file, not crashes.
    """
    import json

    try:
        return json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise WattprintError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}), expected a {what}", hint=hint) from None
    except _NumberTooLarge as exc:
        raise _number_too_large(path, exc, what) from None
    except RecursionError:
        raise WattprintError(f"{path}: values nested too deeply for a {what}", hint=hint) from None
    except ValueError as exc:  # (any other number Python refuses to read)
        raise WattprintError(f"{path}: a number too large to read ({exc})", hint=hint) from None


def load_json(path: Path, what: str = "JSON file", hint: str | None = None) -> Any:
    """Load a JSON file: checked by kind and size (``what`` picks the limit), UTF-8, then :func:`parse_json`."""
    return parse_json(read_text(path, what), path, what, hint)


def key_line(path: Path, loc: tuple[Any, ...]) -> int | None:
    """Line number (1-based) of the mapping key or item at ``loc`` in a YAML file."""
    import yaml

    try:
        node = yaml.compose(read_text(path), Loader=_SafeLoader)
    except (yaml.YAMLError, WattprintError, RecursionError, _DuplicateKey):
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


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The field names of the (nested) pydantic model at ``loc`` (list indices skipped)."""
    import typing

    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        found = None
        todo = [field.annotation]
        while todo:
            t = todo.pop()
            if isinstance(t, type) and hasattr(t, "model_fields"):
                found = t
                break
            todo.extend(typing.get_args(t))
        if found is None:
            return []
        model = found
    return list(getattr(model, "model_fields", {}))


def did_you_mean(name: str, known: list[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def format_validation_error(path: Path | str, exc: Any, *, source_is_file: bool = True,
                            model: Any = None) -> WattprintError:
    """Turn a pydantic ValidationError into one readable WattprintError.

    Names the file, the line (when known), the field path and what is wrong. An unknown field is
    reported first (a typo explains a 'missing' field), with the closest known name of ``model``.
    """
    errors = exc.errors()
    err = next((e for e in errors if e.get("type") == "extra_forbidden"), errors[0])
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    field = ".".join(str(p) for p in loc) or "(top level)"
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        msg = f"unknown field {field!r}"
        hint = (did_you_mean(loc[-1], _fields_at(model, loc[:-1])) if model is not None and loc else None) \
            or "remove it or check its spelling"
    elif kind == "missing":
        msg = f"missing required field {field!r}"
        hint = None
    else:
        detail = err.get("msg", "invalid value").removeprefix("Value error, ")
        value = err.get("input")
        shown = "" if isinstance(value, (dict, list)) or value is None or kind == "value_error" else f" (got {value!r})"
        msg = f"field {field!r}: {detail}{shown}"
        hint = None
    line = key_line(Path(path), loc) if source_is_file else None
    where = f"{path}:{line}" if line else f"{path}"
    extra = f" and {len(errors) - 1} more error(s)" if len(errors) > 1 else ""
    return WattprintError(f"{where}: {msg}{extra}", hint=hint)
