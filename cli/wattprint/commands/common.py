"""What every command shares at run time: error handling, the console, writing a report, config defaults.

Imports here stay light (typer and the standard library); the core is imported inside the functions.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from wattprint.vocab import SUFFIX_FORMATS, OutputFormat, Units

EXIT_INTERNAL = 3  # (1 and 2 come from check and WattprintError.exit_code)
state = {"debug": False}

#: the flag that sets each input field, where it is not the field with dashes (rate -> --rate is implied)
FIELD_FLAGS = {
    "power_w": "--power",
    "intensity_gco2e_per_kwh": "--intensity",
    "intensity": "--intensity",
    "grid_gaps": "--gaps",
    "dims": "--dim",
    "power_limit_w": "--power-limit",
}


def flag_for(field: str) -> str:
    """The command-line flag that sets an input field: ``rate`` -> ``--rate``, ``power_w`` -> ``--power``."""
    return FIELD_FLAGS.get(field, "--" + field.replace("_", "-"))


def _err(message: str) -> None:
    sys.stderr.write(f"wattprint: error: {message}\n")


def handle_errors(func: Callable[..., Any], name_field: Callable[[str], str] | None = flag_for) -> Callable[..., Any]:
    """Map WattprintError to exit 2 with one line on stderr; a traceback only with --debug.

    ``name_field`` words the input fields an error names: as flags for the estimating commands (``rate`` ->
    ``--rate``); ``check``, whose inputs are a budget file's keys, passes None (the keys as they are)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from wattprint.cli_errors import start_progress, stop_progress
        from wattprint.errors import WattprintError

        try:
            start_progress(func.__name__.replace("_", " "))  # a spinner on a terminal's stderr after 1 s
            return func(*args, **kwargs)
        except WattprintError as exc:
            stop_progress()
            if state["debug"]:
                raise
            _err(exc.worded(name_field))
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: say so in one line, keep the traceback behind --debug
            stop_progress()
            if state["debug"]:
                raise
            _err(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)")
            raise typer.Exit(EXIT_INTERNAL) from None
        finally:
            stop_progress()

    return wrapper


def console():
    """Rich on a terminal; plain, colour-free and unwrapped (or $COLUMNS wide) when stdout is not a TTY."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console(highlight=False, soft_wrap=False)
    if os.environ.get("COLUMNS", "").isdigit():  # a width asked for: fit the tables to it
        return Console(highlight=False, soft_wrap=False, color_system=None, width=int(os.environ["COLUMNS"]),
                       force_terminal=False)
    return Console(highlight=False, soft_wrap=True, color_system=None, width=10_000, force_terminal=False)


def emit(fmt: OutputFormat, report, output: Path | None = None) -> None:
    """Write a :class:`~wattprint.render.formats.Report` in the chosen format, to stdout or to ``output``.

    Machine formats never go through Rich. ``-o report.html`` with no --format means HTML (likewise .json, .csv,
    .md); an explicit --format wins; a file never gets terminal styling (table becomes markdown)."""
    from wattprint.cli_errors import stop_progress
    from wattprint.render.formats import to_format, write_format

    stop_progress()  # the spinner (a terminal's stderr only) is erased before any output
    if output is not None:
        fmt = output_format(output, fmt, tuple(report.text))
    if fmt is OutputFormat.table:
        from wattprint import render

        render.print_tables(console(), report.title, report.sections())
        return
    if output is None:
        write_format(fmt, report, sys.stdout.write)
    else:
        write_output(output, to_format(fmt)(report))
        sys.stderr.write(f"wattprint: wrote {fmt.value} to {output}\n")


#: suffixes that name no format: the file gets the text form (markdown)
_TEXT_SUFFIXES = ("", ".txt")


def output_format(output: Path, fmt: OutputFormat, extra: tuple[OutputFormat, ...] = ()) -> OutputFormat:
    """The format of ``-o FILE``: its suffix's, unless --format names another (an error: a .json file of CSV
    would mislead whatever reads it); a suffix that names no format wants --format or a known suffix.
    ``extra``: formats this report has beyond the common ones (check's JUnit XML). A command that prints
    warnings before its report calls this first, so that a bad ``-o`` stops it before any output."""
    from wattprint.errors import WattprintError
    from wattprint.render.formats import FORMATTERS

    def writable(f: OutputFormat) -> bool:
        return f in FORMATTERS or f in extra

    suffix = output.suffix.lower()
    by_suffix = SUFFIX_FORMATS.get(suffix)
    known = ", ".join(s for s, f in SUFFIX_FORMATS.items() if writable(f))
    if by_suffix is not None and not writable(by_suffix):
        raise WattprintError(f"-o {output}: this report has no {by_suffix.value} form", hint=f"name the file {known}")
    if fmt is OutputFormat.table:
        if by_suffix is not None:
            return by_suffix
        if suffix in _TEXT_SUFFIXES:
            return OutputFormat.markdown
        raise WattprintError(f"-o {output}: cannot tell the format from {suffix!r}",
                             hint=f"name the file {known}, or pass --format")
    if by_suffix is not None and by_suffix is not fmt:
        raise WattprintError(f"-o {output} with --format {fmt.value}: the file's extension says {by_suffix.value}",
                             hint=f"name the file for {fmt.value}, or drop --format")
    return fmt


def write_output(path: Path, text: str) -> None:
    from wattprint.errors import WattprintError

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise WattprintError(f"-o {path}: cannot write the report ({exc.strerror or exc})",
                             hint="name a file in a folder that exists and is writable") from None


def warn_lines(warnings: list[str], fmt: OutputFormat) -> None:
    """Warnings go to stderr for machine formats (the table shows them in its Assumptions)."""
    from wattprint.cli_errors import stop_progress

    stop_progress()
    if fmt is not OutputFormat.table:
        for w in warnings:
            sys.stderr.write(f"wattprint: warning: {w}\n")


class Defaults:
    """Config-file defaults ([tool.wattprint] / ~/.config/wattprint/config.toml): a flag always wins."""

    def __init__(self) -> None:
        from wattprint.config import load_user_defaults

        self.loaded = load_user_defaults()
        self.applied: dict[str, Any] = {}

    def pick(self, key: str, flag: Any) -> Any:
        if flag is not None:
            return flag
        value = self.loaded.get(key)
        if value is not None:
            self.applied[key] = value
        return value

    def units(self, flag: Units | None) -> Units:
        return Units(self.pick("units", flag.value if flag is not None else None) or "metric")

    def doc(self) -> dict | None:
        return {"file": self.loaded.source, "applied": dict(self.applied)} if self.applied else None

    def add_to(self, doc: dict) -> dict:
        """The result document with a ``config_defaults`` key when a default was taken from a file."""
        if self.doc():
            doc["config_defaults"] = self.doc()
        return doc

    def note(self, sections: list) -> list:
        """The Assumptions section gains a row naming the config file and the defaults taken from it."""
        import dataclasses

        if not self.applied:
            return sections
        text = ", ".join(f"{k} {v}" for k, v in self.applied.items()) + f" from {self.loaded.source}"
        out = list(sections)
        for i, sec in enumerate(out):
            if sec.title == "Assumptions":
                out[i] = dataclasses.replace(sec, rows=(("config defaults", text),) + tuple(sec.rows))
                return out
        from wattprint.render import Section

        return out + [Section("Assumptions", ("", ""), (("config defaults", text),), key_value=True)]


def _spec_fields(spec: Path | None) -> set:
    """The fields a training spec file sets (a config default never overrides them)."""
    if spec is None:
        return set()
    from wattprint.yamlio import load_yaml

    data = load_yaml(spec, "training spec")
    return set(data) if isinstance(data, dict) else set()


def train_defaults(defaults: Defaults, spec: Path | None, overrides: dict) -> None:
    """Fill region, hardware, provider and PUE from the config file where neither a flag nor the spec sets them."""
    given = _spec_fields(spec) | {k for k, v in overrides.items() if v is not None and v is not False}
    grid_keys = {"region", "grid_file", "intensity_gco2e_per_kwh"}
    for key in ("hardware", "provider", "pue", "region"):
        if key in given or (key == "region" and given & grid_keys):
            continue
        value = defaults.pick(key, None)
        if value is not None:
            overrides[key] = value


def hardware_db(hw_files: list[Path] | None):
    from wattprint.hardware import load_hardware

    _warn_missing_profile_dir()
    return load_hardware(tuple(hw_files or ()))


def _warn_missing_profile_dir() -> None:
    """$WATTPRINT_HWPROFILES set to a folder that is not there: say so (it would be silently ignored)."""
    from wattprint.hardware import USER_DIR_ENV

    value = os.environ.get(USER_DIR_ENV)
    if value and not Path(value).is_dir():
        sys.stderr.write(f"wattprint: warning: ${USER_DIR_ENV}={value} is not a folder; no user profiles loaded\n")


def split_ids(values: list[str] | None, flag: str = "") -> list[str]:
    """'FR,PL, us-west-2' (or repeated flags) -> ['FR', 'PL', 'us-west-2']; an empty id list is an error."""
    from wattprint.errors import WattprintError

    ids = [part.strip() for item in values or () for part in item.split(",") if part.strip()]
    if values and not ids:
        raise WattprintError(f"{flag or 'ids'} {','.join(values)!r}: no id given", hint="e.g. FR,PL,us-west-2")
    return ids


def check_numbers(**named: tuple[str, Any]) -> None:
    """Each numeric flag (limit name -> (flag, value)) inside its documented range (wattprint.limits)."""
    from wattprint.limits import check

    for name, (flag, value) in named.items():
        if value is not None:
            check(name, value, flag)

