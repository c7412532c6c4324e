"""The Typer app: the commands (wattprint.commands) registered on it, and the entry point.

Exit codes: 0 success, 1 budget exceeded (check), 2 usage/configuration/input
error, 3 internal error (a bug). Heavy modules (onnx, numpy, the core) are
imported inside the commands so that ``wattprint --help`` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated

import typer

from wattprint.cli_errors import OneLineErrors
from wattprint.commands import check, demo, hardware, infer, lifecycle, llm_configs, regions, train, validate
from wattprint.commands.common import handle_errors, state
from wattprint.vocab import HardwareKind, RegionKind  # noqa: F401  (the kinds --kind offers; tests check them)

app = typer.Typer(
    name="wattprint",
    cls=OneLineErrors,  # usage errors on one line, like every other error
    help="Energy and carbon footprint of AI models: training runs and per-layer ONNX inference.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
hardware_app = typer.Typer(help="Browse hardware profiles (TDP, peak throughput, memory, sources).", no_args_is_help=True)
regions_app = typer.Typer(help="Browse grid regions (carbon intensity, year, source).", no_args_is_help=True)


def _version(value: bool) -> None:
    if value:
        from wattprint import __version__

        typer.echo(f"wattprint {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    state["debug"] = debug or bool(os.environ.get("WATTPRINT_DEBUG"))


app.command()(handle_errors(train.train))
app.command()(handle_errors(infer.infer))
app.command("llm-configs")(handle_errors(llm_configs.llm_configs))
app.command()(handle_errors(lifecycle.lifecycle))
app.add_typer(hardware_app, name="hardware")
app.add_typer(regions_app, name="regions")
hardware_app.command("list")(handle_errors(hardware.hardware_list))
hardware_app.command("show")(handle_errors(hardware.hardware_show))
regions_app.command("list")(handle_errors(regions.regions_list))
regions_app.command("show")(handle_errors(regions.regions_show))
app.command()(handle_errors(validate.validate))
app.command()(handle_errors(demo.demo))
app.command("check")(handle_errors(check.check, name_field=None))


def _flags_without_type() -> None:
    """--help shows no '<bool>' beside on/off flags, and no '<path>' beside an argument already named MODEL.onnx."""
    from typer import _click as click
    from typer import core

    def patch(cls: type[core.TyperOption] | type[core.TyperArgument], hide: Callable[[click.Parameter], bool]) -> None:
        original = getattr(cls, "display_type_rich", None)
        if original is None or getattr(original, "_wattprint", False):
            return

        def display_type_rich(self: click.Parameter, ctx: click.Context) -> str | None:
            return None if hide(self) else original(self, ctx)

        display_type_rich._wattprint = True  # type: ignore[attr-defined]  # a marker: patched once, not twice
        cls.display_type_rich = display_type_rich  # type: ignore[method-assign]  # the patch itself, on purpose

    patch(core.TyperOption, lambda opt: getattr(opt, "is_flag", False))
    patch(core.TyperArgument, lambda arg: arg.metavar is not None)


_flags_without_type()


def main() -> None:
    app(prog_name="wattprint")


if __name__ == "__main__":  # pragma: no cover
    main()
