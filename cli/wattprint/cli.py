"""The Typer layer: parse arguments, call the core, pick a renderer, map errors to exit codes.

Exit codes: 0 success, 1 budget exceeded (check), 2 usage/configuration/input
error, 3 internal error (a bug). Heavy modules (onnx, numpy, the core) are
imported inside the commands so that ``wattprint --help`` stays fast.
"""

from __future__ import annotations

import functools
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Callable, List, Optional

import typer

from wattprint.cli_errors import OneLineErrors

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
app.add_typer(hardware_app, name="hardware")
app.add_typer(regions_app, name="regions")

EXIT_INTERNAL = 3  # (1 and 2 come from check and WattprintError.exit_code)
_state = {"debug": False}


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


class FunctionalUnit(str, Enum):
    inference = "inference"
    request = "request"
    token = "token"
    run = "run"


FUNCTIONAL_UNIT_HELP = ("Also give the SCI score (ISO/IEC 21031:2024), (E x I + M) per this unit: inference (infer), "
                        "run (train; infer with a volume), request/token (generation workloads).")


class ByGroup(str, Enum):
    op = "op"


#: hardware profile kinds (wattprint.hardware.KINDS) and region kinds (regions/regions.csv): kept here so that
#: `--help` needs no data loaded; tests/test_shell.py checks them against the data
HardwareKind = Enum("HardwareKind", {k: k for k in ("gpu", "tpu", "cpu", "edge", "npu")}, type=str)
RegionKind = Enum("RegionKind", {k: k for k in ("world", "continent", "country", "subnational", "us-state",
                                                 "ca-province", "cloud")}, type=str)


class Units(str, Enum):
    metric = "metric"
    imperial = "imperial"


def _err(message: str) -> None:
    sys.stderr.write(f"wattprint: error: {message}\n")


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Map WattprintError to exit 2 with one line on stderr; a traceback only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from wattprint.cli_errors import start_progress, stop_progress
        from wattprint.errors import WattprintError

        try:
            start_progress(func.__name__.replace("_", " "))  # a spinner on a terminal's stderr after 1 s
            return func(*args, **kwargs)
        except WattprintError as exc:
            stop_progress()
            if _state["debug"]:
                raise
            _err(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: say so in one line, keep the traceback behind --debug
            stop_progress()
            if _state["debug"]:
                raise
            _err(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)")
            raise typer.Exit(EXIT_INTERNAL) from None
        finally:
            stop_progress()

    return wrapper


def _version(value: bool) -> None:
    if value:
        from wattprint import __version__

        typer.echo(f"wattprint {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    _state["debug"] = debug or bool(os.environ.get("WATTPRINT_DEBUG"))


def console():
    """Rich on a terminal; plain, colour-free and unwrapped (or $COLUMNS wide) when stdout is not a TTY."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console(highlight=False, soft_wrap=False)
    if os.environ.get("COLUMNS", "").isdigit():  # a width asked for: fit the tables to it
        return Console(highlight=False, soft_wrap=False, color_system=None, width=int(os.environ["COLUMNS"]),
                       force_terminal=False)
    return Console(highlight=False, soft_wrap=True, color_system=None, width=10_000, force_terminal=False)


def emit(fmt: Format, *, title: str, doc: Callable[[], dict], sections: Callable[[], list], csv: Callable[[], tuple],
         output: Optional[Path] = None) -> None:
    """Write a result in the chosen format, to stdout or to ``output``. Machine formats never go through Rich."""
    from wattprint import render
    from wattprint.cli_errors import stop_progress

    stop_progress()  # the spinner (a terminal's stderr only) is erased before any output
    if output is not None:
        fmt = _output_format(fmt, output)
        if fmt is Format.table:
            fmt = Format.markdown  # a file gets the same tables, without terminal styling
    if fmt is Format.table:
        render.print_tables(console(), title, sections())
        return
    if fmt is Format.json:
        text = render.to_json(doc())
    elif fmt is Format.csv:
        header, rows = csv()
        text = render.to_csv(header, rows)
    elif fmt is Format.html:
        from wattprint.render.html import to_html

        text = to_html(title, doc(), sections())
    else:
        text = render.to_markdown(title, sections())
    if output is None:
        sys.stdout.write(text)
    else:
        write_output(output, text)
        sys.stderr.write(f"wattprint: wrote {fmt.value} to {output}\n")


_SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".json": "json", ".csv": "csv", ".md": "markdown"}


def _output_format(fmt: Format, output: Path) -> Format:
    """-o report.html with no --format means HTML (likewise .json, .csv, .md); an explicit --format wins."""
    if fmt is Format.table and output.suffix.lower() in _SUFFIX_FORMATS:
        return Format(_SUFFIX_FORMATS[output.suffix.lower()])
    return fmt


def write_output(path: Path, text: str) -> None:
    from wattprint.errors import WattprintError

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise WattprintError(f"-o {path}: cannot write the report ({exc.strerror or exc})",
                             hint="name a file in a folder that exists and is writable") from None


class _Defaults:
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

    def units(self, flag: Optional["Units"]) -> "Units":
        return Units(self.pick("units", flag.value if flag is not None else None) or "metric")

    def doc(self) -> Optional[dict]:
        return {"file": self.loaded.source, "applied": dict(self.applied)} if self.applied else None

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


def _spec_fields(spec: Optional[Path]) -> set:
    """The fields a training spec file sets (a config default never overrides them)."""
    if spec is None:
        return set()
    from wattprint.yamlio import load_yaml

    data = load_yaml(spec, "training spec")
    return set(data) if isinstance(data, dict) else set()


def _train_defaults(defaults: "_Defaults", spec: Optional[Path], overrides: dict) -> None:
    """Fill region, hardware, provider and PUE from the config file where neither a flag nor the spec sets them."""
    given = _spec_fields(spec) | {k for k, v in overrides.items() if v is not None and v is not False}
    grid_keys = {"region", "grid_file", "intensity_gco2e_per_kwh"}
    for key in ("hardware", "provider", "pue", "region"):
        if key in given or (key == "region" and given & grid_keys):
            continue
        value = defaults.pick(key, None)
        if value is not None:
            overrides[key] = value


def _hardware_db(hw_files: Optional[List[Path]]):
    from wattprint.hardware import load_hardware

    _warn_missing_profile_dir()
    return load_hardware(tuple(hw_files or ()))


HW_FILE_OPTION = typer.Option(None, "--hw-file", help="Extra hardware profile YAML (repeatable); merged over the built-in ones.")
FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="Output format (html: a self-contained report).")
OUTPUT_OPTION = typer.Option(None, "--output", "-o", metavar="PATH",
                             help="Write the report to PATH instead of stdout (.html, .json, .csv, .md pick the format).")


# ----------------------------------------------------------------------------- train


def _choices(name: str, values: tuple[str, ...]) -> type[Enum]:
    return Enum(name, {v: v for v in values}, type=str)


#: precisions a training run's peak can be taken at, and those `infer` can cost tensors at
TrainPrecision = _choices("TrainPrecision", ("fp32", "tf32", "fp16", "bf16", "fp8", "int8"))
Precision = _choices("Precision", ("fp32", "fp16", "bf16", "fp8", "int8"))
GapPolicy = _choices("GapPolicy", ("fill", "error"))
GridBasis = _choices("GridBasis", ("lifecycle", "direct"))


@app.command()
@handle_errors
def train(
    spec: Optional[Path] = typer.Argument(None, help="Training run spec (YAML). Flags override its fields."),
    hardware: Optional[str] = typer.Option(None, "--hardware", help="Hardware profile id or alias (a100, h100, v100, tpu-v3...)."),
    count: Optional[int] = typer.Option(None, "--count", help="Number of accelerators."),
    hours: Optional[float] = typer.Option(None, "--hours", help="Wall-clock hours of the run."),
    gpu_hours: Optional[float] = typer.Option(None, "--gpu-hours", help="Device-hours (instead of --hours)."),
    params: Optional[float] = typer.Option(None, "--params", help="Model parameters N: with --tokens, 6*N*D FLOPs.", rich_help_panel="From compute"),
    tokens: Optional[float] = typer.Option(None, "--tokens", help="Training tokens D.", rich_help_panel="From compute"),
    model: Optional[Path] = typer.Option(None, "--model", help="ONNX model: with --samples, 3x forward FLOPs per sample.", rich_help_panel="From compute"),
    samples: Optional[float] = typer.Option(None, "--samples", help="Training samples per epoch.", rich_help_panel="From compute"),
    epochs: Optional[float] = typer.Option(None, "--epochs", help="Epochs (default 1).", rich_help_panel="From compute"),
    mfu: Optional[float] = typer.Option(None, "--mfu", help="Model FLOPs utilisation (default: published median 0.28).", rich_help_panel="From compute"),
    precision: Optional[TrainPrecision] = typer.Option(None, "--precision", help="Precision whose peak applies (default bf16).", rich_help_panel="From compute"),
    power: Optional[float] = typer.Option(None, "--power", help="Average draw per device, W (default: TDP x utilisation)."),
    utilization: Optional[float] = typer.Option(None, "--utilization", help="Average fraction of TDP drawn (0-1]."),
    pue: Optional[float] = typer.Option(None, "--pue", help="Datacenter PUE (default: provider's or global average)."),
    provider: Optional[str] = typer.Option(None, "--provider", help="Cloud provider for the PUE default (aws, gcp, azure)."),
    region: Optional[str] = typer.Option(None, "--region", help="Grid region id (default: world)."),
    intensity: Optional[float] = typer.Option(None, "--intensity", help="Grid intensity, gCO2e/kWh."),
    grid_file: Optional[Path] = typer.Option(None, "--grid-file", help="Grid intensity file (YAML constant or CSV/YAML time series)."),
    start: Optional[str] = typer.Option(None, "--start", help="Run start (ISO 8601, e.g. 2022-07-01T00:00Z) for hourly grid files."),
    gaps: Optional[GapPolicy] = typer.Option(None, "--gaps", help="Gaps in a grid series inside the run: fill (linear, up to 6 h, with a warning) or error."),
    grid_basis: Optional[GridBasis] = typer.Option(None, "--grid-basis", help="Column of a grid export with both (Electricity Maps): lifecycle (default) or direct."),
    best_start: bool = typer.Option(False, "--best-start", help="Find the start with the least emissions in --window (needs an hourly --grid-file).", rich_help_panel="What-if"),
    window: Optional[float] = typer.Option(None, "--window", help="Hours after --start to search (default: the whole series).", rich_help_panel="What-if"),
    compare_region: Optional[List[str]] = typer.Option(None, "--compare-region", help="Also estimate in these regions (comma-separated).", rich_help_panel="What-if"),
    compare_hardware: Optional[List[str]] = typer.Option(None, "--compare-hardware", help="Also estimate on these devices (comma-separated).", rich_help_panel="What-if"),
    embodied: bool = typer.Option(False, "--embodied", help="Include amortised embodied emissions in the totals.", rich_help_panel="Embodied"),
    lifetime_years: Optional[float] = typer.Option(None, "--lifetime-years", help="Device service life (default 5).", rich_help_panel="Embodied"),
    host_embodied_kg: Optional[float] = typer.Option(None, "--host-embodied-kg", help="Server embodied kgCO2e per device slot (default 312.5).", rich_help_panel="Embodied"),
    name: Optional[str] = typer.Option(None, "--name", help="Name of the run."),
    functional_unit: Optional[FunctionalUnit] = typer.Option(None, "--functional-unit", help=FUNCTIONAL_UNIT_HELP, rich_help_panel="Standards"),
    units: Optional[Units] = typer.Option(None, "--units", help="metric (g/kg/t, km; the default) or imperial (lbs, miles)."),
    fmt: Format = FORMAT_OPTION,
    output: Optional[Path] = OUTPUT_OPTION,
    hw_file: Optional[List[Path]] = HW_FILE_OPTION,
) -> None:
    """Energy and emissions of a training run, from a spec file or flags."""
    from wattprint.errors import WattprintError
    from wattprint.grid import parse_start
    from wattprint.render.train import train_csv, train_doc, train_sections
    from wattprint.render.whatif import alternatives_doc, alternatives_section, best_start_doc, best_start_section
    from wattprint.training import estimate_training, load_training_spec
    from wattprint import whatif

    overrides = {
        "hardware": hardware, "count": count, "hours": hours, "gpu_hours": gpu_hours,
        "params": params, "tokens": tokens, "model": str(model) if model else None, "samples": samples,
        "epochs": epochs, "mfu": mfu, "precision": precision.value if precision else None,
        "power_w": power, "utilization": utilization, "pue": pue, "provider": provider,
        "region": region, "intensity_gco2e_per_kwh": intensity, "grid_file": str(grid_file) if grid_file else None,
        "start": parse_start(start) if start is not None else None, "name": name, "embodied": embodied,
        "grid_gaps": gaps.value if gaps else None, "grid_basis": grid_basis.value if grid_basis else None,
        "lifetime_years": lifetime_years, "host_embodied_kg": host_embodied_kg,
    }
    _check_numbers(window=("--window", window))
    if window is not None and not best_start:
        raise WattprintError("--window applies only with --best-start", hint="add --best-start or drop --window")
    defaults = _Defaults()
    units = defaults.units(units)
    _train_defaults(defaults, spec, overrides)
    run_spec = load_training_spec(spec, overrides)
    db = _hardware_db(hw_file)
    if best_start:
        from wattprint.grid import GridSeries, load_grid_file

        if run_spec.grid_file is None:
            raise WattprintError("--best-start needs an hourly --grid-file")
        series = load_grid_file(Path(run_spec.grid_file), run_spec.grid_basis)
        if run_spec.start is None and isinstance(series, GridSeries):
            run_spec = run_spec.model_copy(update={"start": series.start})  # "now" is the series' first hour
    result = estimate_training(run_spec, db, units.value)
    doc, extra = train_doc(result, units.value), []
    if defaults.doc():
        doc["config_defaults"] = defaults.doc()
    standards = _train_standards(result, run_spec.provider, functional_unit, doc, units.value)
    regions, devices = _split_ids(compare_region, "--compare-region"), _split_ids(compare_hardware, "--compare-hardware")
    if regions:
        alts = whatif.train_regions(run_spec, db, result, regions)
        doc["what_if_regions"] = alternatives_doc(alts)
        extra.append(alternatives_section("What if: other regions", alts, units.value))
    if devices:
        alts = whatif.train_hardware(run_spec, db, result, devices)
        doc["what_if_hardware"] = alternatives_doc(alts)
        share = whatif.like_for_like_utilization(run_spec, result)
        how = [] if result.compute else ["Same work: hours scaled by the ratio of peak throughput at the run's precision."]
        if run_spec.power_w is not None and share is not None:
            how.append(f"Like with like: the given {run_spec.power_w:g} W is {share:.3g} of the {result.hardware.id} TDP; "
                       f"each alternative draws the same fraction of its own TDP.")
        elif share is not None:
            how.append(f"Each device draws {share:.3g} of its own TDP.")
        extra.append(alternatives_section("What if: other hardware", alts, units.value, caption=" ".join(how) or None))
    if best_start:
        found = whatif.best_start(result, run_spec.grid_file, run_spec.start, window, run_spec.grid_gaps, run_spec.grid_basis)
        doc["best_start"] = best_start_doc(found)
        extra.append(best_start_section(found, units.value))
    emit(
        fmt,
        title=f"Training run: {result.name}",
        doc=lambda: doc,
        sections=lambda: defaults.note(standards(train_sections(result, units.value))) + extra,
        csv=lambda: train_csv(result),
        output=output,
    )


# ----------------------------------------------------------------------------- infer


@app.command()
@handle_errors
def infer(
    model: Path = typer.Argument(..., help="ONNX model file."),
    hardware: Optional[str] = typer.Option(None, "--hardware", help="Hardware profile id or alias (default h100-sxm)."),
    dim: Optional[List[str]] = typer.Option(None, "--dim", help="Bind a symbolic dim: NAME=N (repeatable)."),
    batch: Optional[int] = typer.Option(None, "--batch", help="Batch size (binds the first dim of the inputs)."),
    precision: Optional[Precision] = typer.Option(None, "--precision", help="Cost all float tensors at this precision (default: the model's dtypes)."),
    region: Optional[str] = typer.Option(None, "--region", help="Grid region id (default: world)."),
    intensity: Optional[float] = typer.Option(None, "--intensity", help="Grid intensity, gCO2e/kWh."),
    grid_file: Optional[Path] = typer.Option(None, "--grid-file", help="Grid intensity file (a series uses its mean)."),
    gaps: Optional[GapPolicy] = typer.Option(None, "--gaps", help="Gaps in a grid series: fill (linear, up to 6 h, with a warning) or error."),
    grid_basis: Optional[GridBasis] = typer.Option(None, "--grid-basis", help="Column of a grid export with both (Electricity Maps): lifecycle (default) or direct."),
    pue: Optional[float] = typer.Option(None, "--pue", help="Datacenter PUE."),
    provider: Optional[str] = typer.Option(None, "--provider", help="Cloud provider for the PUE default."),
    inferences: Optional[float] = typer.Option(None, "--inferences", help="Total inferences served."),
    rate: Optional[str] = typer.Option(None, "--rate", help="Serving rate, e.g. 1e6/day, 200/s."),
    days: Optional[float] = typer.Option(None, "--days", help="Days served at --rate (default 365)."),
    system: Optional[str] = typer.Option(None, "--system", help="System (node) profile around the accelerator (default: the hardware's own; see docs/methodology.md)."),
    power_limit: Optional[float] = typer.Option(None, "--power-limit", help="Power limit per accelerator in W, for capped deployments such as MaxQ (default: its TDP)."),
    top: int = typer.Option(25, "--top", help="Show the N most energy-hungry layers (0: all)."),
    by: Optional[ByGroup] = typer.Option(None, "--by", help="Group layers by op type."),
    task: Optional[str] = typer.Option(None, "--task", help="Task class for the energy label (default: guessed)."),
    functional_unit: Optional[FunctionalUnit] = typer.Option(None, "--functional-unit", help=FUNCTIONAL_UNIT_HELP, rich_help_panel="Standards"),
    compare_region: Optional[List[str]] = typer.Option(None, "--compare-region", help="Also estimate in these regions (comma-separated).", rich_help_panel="What-if"),
    compare_hardware: Optional[List[str]] = typer.Option(None, "--compare-hardware", help="Also estimate on these devices (comma-separated).", rich_help_panel="What-if"),
    units: Optional[Units] = typer.Option(None, "--units", help="metric (the default) or imperial."),
    fmt: Format = FORMAT_OPTION,
    output: Optional[Path] = OUTPUT_OPTION,
    hw_file: Optional[List[Path]] = HW_FILE_OPTION,
    prompt_tokens: Optional[int] = typer.Option(None, "--prompt-tokens", help="Prompt tokens per request.", rich_help_panel="LLM generation"),
    output_tokens: Optional[int] = typer.Option(None, "--output-tokens", help="Output tokens per request.", rich_help_panel="LLM generation"),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", help="Sequences decoded together (default 1).", rich_help_panel="LLM generation"),
    devices: Optional[int] = typer.Option(None, "--devices", help="Tensor-parallel devices (default 1).", rich_help_panel="LLM generation"),
    kv_precision: Optional[Precision] = typer.Option(None, "--kv-precision", help="KV-cache precision (default: --precision).", rich_help_panel="LLM generation"),
) -> None:
    """Per-layer work and energy of one inference of an ONNX model, and emissions at a serving volume.

    LLMs: pass a decoder (ONNX export, a Hugging Face config.json, or a built-in config name: see
    `wattprint llm-configs`) with --prompt-tokens and --output-tokens for energy per request and per
    output token, prefill and decode.
    """
    from wattprint.estimate import InferOptions, infer_model, parse_dims
    from wattprint.label import energy_label
    from wattprint.render.infer import infer_csv, infer_doc, infer_sections

    defaults = _Defaults()
    units = defaults.units(units)
    hardware = defaults.pick("hardware", hardware) or "h100-sxm"
    if intensity is None and grid_file is None:
        region = defaults.pick("region", region)
    pue, provider = defaults.pick("pue", pue), defaults.pick("provider", provider)
    gen_flags = {"--prompt-tokens": prompt_tokens, "--output-tokens": output_tokens, "--concurrency": concurrency,
                 "--devices": devices, "--kv-precision": kv_precision}
    generation = any(v is not None for v in gen_flags.values())
    if not generation:
        from wattprint.generation import is_generation_source

        generation = is_generation_source(model)
    _check_numbers(top=("--top", top), batch=("--batch", batch), inferences=("--inferences", inferences),
                   days=("--days", days), pue=("--pue", pue), intensity_gco2e_per_kwh=("--intensity", intensity))
    options = InferOptions(
        hardware=hardware,
        dims=parse_dims(dim),
        batch=batch,
        precision=precision.value if precision else None,
        region=region,
        intensity=intensity,
        grid_file=str(grid_file) if grid_file else None,
        grid_gaps=gaps.value if gaps else "fill",
        grid_basis=grid_basis.value if grid_basis else None,
        pue=pue,
        provider=provider,
        inferences=inferences,
        rate=rate,
        days=days,
        units=units.value,
        system=system,
        power_limit_w=power_limit,
    )
    db = _hardware_db(hw_file)
    if generation:
        _infer_generation(model, options, db, fmt, units, batch=batch, compare=bool(compare_region or compare_hardware),
                          prompt_tokens=prompt_tokens, output_tokens=output_tokens, concurrency=concurrency,
                          devices=devices, precision=precision, kv_precision=kv_precision,
                          functional_unit=functional_unit, output=output, defaults=defaults)
        return
    result = infer_model(model, options, db)
    label = energy_label(result.system_energy_per_inference_j, result.model, task)
    doc, extra = infer_doc(result, label), []
    if defaults.doc():
        doc["config_defaults"] = defaults.doc()
    standards = _infer_standards(result, provider, functional_unit, doc, units.value)
    regions, devices = _split_ids(compare_region, "--compare-region"), _split_ids(compare_hardware, "--compare-hardware")
    if regions or devices:  # (imported only when asked: the training model behind it is not needed otherwise)
        from wattprint import whatif
        from wattprint.render.whatif import alternatives_doc, alternatives_section
    volume = "at the serving volume" if result.inferences is not None else "per million inferences"
    if regions:
        alts = whatif.infer_regions(result, regions)
        doc["what_if_regions"] = alternatives_doc(alts)
        extra.append(alternatives_section(f"What if: other regions ({volume})", alts, units.value))
    if devices:
        alts = whatif.infer_hardware(result, db, devices)
        doc["what_if_hardware"] = alternatives_doc(alts)
        extra.append(alternatives_section(f"What if: other hardware ({volume})", alts, units.value))
    _warn_lines(list(result.model.warnings) + list(result.warnings), fmt)
    emit(
        fmt,
        title=f"Inference: {model.name} on {result.hardware.id}",
        doc=lambda: doc,
        sections=lambda: defaults.note(standards(infer_sections(result, units.value, top=top, by_op=by is ByGroup.op, label=label))) + extra,
        csv=lambda: infer_csv(result),
        output=output,
    )


def _infer_generation(model: Path, options, db, fmt: Format, units: Units, *, batch, compare, prompt_tokens,
                      output_tokens, concurrency, devices, precision, kv_precision, functional_unit=None, output=None,
                      defaults=None) -> None:
    """`infer` with a generation workload (LLM decoders): prefill + decode, per request and per token."""
    from wattprint.errors import WattprintError
    from wattprint.generation import GenerationWorkload, generation_from_options
    from wattprint.render.generation import generation_csv, generation_doc, generation_sections

    if batch is not None:
        raise WattprintError("--batch does not apply to a generation workload", hint="use --concurrency N")
    if compare:
        raise WattprintError("--compare-region/--compare-hardware do not apply to a generation workload yet")
    missing = [f for f, v in (("--prompt-tokens", prompt_tokens), ("--output-tokens", output_tokens)) if v is None]
    if missing:
        raise WattprintError(f"{model}: an LLM generation estimate needs {' and '.join(missing)}",
                             hint="e.g. --prompt-tokens 512 --output-tokens 256")
    workload = GenerationWorkload(
        prompt_tokens=prompt_tokens, output_tokens=output_tokens, concurrency=1 if concurrency is None else concurrency,
        devices=1 if devices is None else devices, precision=precision.value if precision else None,
        kv_precision=kv_precision.value if kv_precision else None,
    )
    result = generation_from_options(model, options, workload, db)
    _warn_lines(list(result.warnings), fmt)
    doc = generation_doc(result)
    extra = []
    from wattprint.render import Section
    from wattprint.render.sci import water_doc, water_rows
    from wattprint.water import estimate_water

    who = options.provider or result.grid.provider
    per = estimate_water(who, result.system_energy_per_request_j / 3.6e6)
    rows = water_rows(per, "per request")
    doc["water"] = {"per_request": water_doc(per), "at_volume": None}
    if result.requests is not None:
        total = estimate_water(who, result.system_energy_per_request_j * result.requests / 3.6e6)
        doc["water"]["at_volume"] = water_doc(total)
        if total.litres is not None:
            rows.insert(1, water_rows(total, "at volume")[0])
    extra.append(Section("Water (on-site)", ("", ""), tuple(rows), key_value=True))
    if functional_unit is not None:
        from wattprint.render.sci import sci_doc, sci_section
        from wattprint.sci import generation_sci

        score = generation_sci(result, functional_unit.value)
        doc["sci"] = sci_doc(score)
        extra.append(sci_section(score, units.value))
    if defaults is not None and defaults.doc():
        doc["config_defaults"] = defaults.doc()
    emit(
        fmt,
        title=f"LLM generation: {result.model} on {result.workload.devices} x {result.hardware.id}",
        doc=lambda: doc,
        sections=lambda: (defaults.note if defaults is not None else list)(generation_sections(result, units.value) + extra),
        csv=lambda: generation_csv(result),
        output=output,
    )


@app.command("llm-configs")
@handle_errors
def llm_configs(fmt: Format = FORMAT_OPTION) -> None:
    """List the built-in LLM configs (Hugging Face config.json figures) that `infer` accepts by name."""
    from wattprint.llm_config import load_config, shipped_configs
    from wattprint.render import Section
    from wattprint.units import fmt_count

    rows, docs = [], []
    for name, entry in shipped_configs().items():
        spec = load_config(name)
        total, active = spec.params()
        rows.append((name, entry["repo"], spec.model_type, fmt_count(total), fmt_count(active), str(spec.layers)))
        docs.append({"name": name, "repo": entry["repo"], "model_type": spec.model_type, "params": total,
                     "params_active": active, "layers": spec.layers, "source": entry["source"], "url": entry["url"]})
    emit(
        fmt,
        title=f"Built-in LLM configs ({len(rows)})",
        doc=lambda: {"kind": "llm-configs", "configs": docs},
        sections=lambda: [Section("Configs", ("name", "repository", "type", "params", "active", "layers"), tuple(rows),
                                  numeric=(3, 4, 5), caption="Use a name as the model of `wattprint infer`.")],
        csv=lambda: (["name", "repo", "model_type", "params", "params_active", "layers"],
                     [[d["name"], d["repo"], d["model_type"], d["params"], d["params_active"], d["layers"]] for d in docs]),
    )


def _split_ids(values: Optional[List[str]], flag: str = "") -> list[str]:
    """'FR,PL, us-west-2' (or repeated flags) -> ['FR', 'PL', 'us-west-2']; an empty id list is an error."""
    from wattprint.errors import WattprintError

    ids = [part.strip() for item in values or () for part in item.split(",") if part.strip()]
    if values and not ids:
        raise WattprintError(f"{flag or 'ids'} {','.join(values)!r}: no id given", hint="e.g. FR,PL,us-west-2")
    return ids


def _check_numbers(**named: tuple[str, Any]) -> None:
    """Each numeric flag (limit name -> (flag, value)) inside its documented range (wattprint.limits)."""
    from wattprint.limits import check

    for name, (flag, value) in named.items():
        if value is not None:
            check(name, value, flag)


def _warn_missing_profile_dir() -> None:
    """$WATTPRINT_HWPROFILES set to a folder that is not there: say so (it would be silently ignored)."""
    from wattprint.hardware import USER_DIR_ENV

    value = os.environ.get(USER_DIR_ENV)
    if value and not Path(value).is_dir():
        sys.stderr.write(f"wattprint: warning: ${USER_DIR_ENV}={value} is not a folder; no user profiles loaded\n")


def _infer_standards(result, provider: Optional[str], unit: Optional[FunctionalUnit], doc: dict, units: str):
    """Water (always) and SCI (with --functional-unit): add their JSON keys, return a function adding their rows."""
    from wattprint.render.sci import insert_after, sci_doc, sci_section, water_doc, water_rows
    from wattprint.render import Section
    from wattprint.sci import infer_sci
    from wattprint.water import estimate_water

    who = provider or result.grid.provider
    per = estimate_water(who, result.system_energy_per_inference_j / 3.6e6)
    rows = water_rows(per, "per inference")
    doc["water"] = {"per_inference": water_doc(per), "at_volume": None}
    if result.inferences is not None:
        total = estimate_water(who, result.system_energy_per_inference_j * result.inferences / 3.6e6)
        doc["water"]["at_volume"] = water_doc(total)
        if total.litres is not None:
            rows.insert(1, water_rows(total, "at volume")[0])
    score = infer_sci(result, unit.value) if unit is not None else None
    if score is not None:
        doc["sci"] = sci_doc(score)

    def add(sections: list) -> list:
        out = insert_after(sections, "Totals", Section("Water (on-site)", ("", ""), tuple(rows), key_value=True))
        return insert_after(out, "Water (on-site)", sci_section(score, units)) if score is not None else out

    return add


def _train_standards(result, provider: Optional[str], unit: Optional[FunctionalUnit], doc: dict, units: str):
    from wattprint.render import Section
    from wattprint.render.sci import insert_after, sci_doc, sci_section, water_doc, water_rows
    from wattprint.sci import train_sci
    from wattprint.water import estimate_water

    water = estimate_water(provider or result.grid.provider, result.it_kwh)
    doc["water"] = water_doc(water)
    score = train_sci(result, unit.value) if unit is not None else None
    if score is not None:
        doc["sci"] = sci_doc(score)
    section = Section("Water (on-site)", ("", ""), tuple(water_rows(water, "of the run")), key_value=True)

    def add(sections: list) -> list:
        anchor = sections[0].title if sections else ""
        out = insert_after(sections, anchor, section)
        return insert_after(out, "Water (on-site)", sci_section(score, units)) if score is not None else out

    return add


def _warn_lines(warnings: list[str], fmt: Format) -> None:
    """Warnings go to stderr for machine formats (the table shows them in its Assumptions)."""
    from wattprint.cli_errors import stop_progress

    stop_progress()
    if fmt is not Format.table:
        for w in warnings:
            sys.stderr.write(f"wattprint: warning: {w}\n")


# ----------------------------------------------------------------------------- lifecycle


@app.command()
@handle_errors
def lifecycle(
    spec: Optional[Path] = typer.Argument(None, help="Training run spec (YAML); the train flags below override it."),
    model: Path = typer.Option(..., "--model", help="The trained model (ONNX) to serve."),
    hardware: Optional[str] = typer.Option(None, "--hardware", help="Training hardware."),
    count: Optional[int] = typer.Option(None, "--count", help="Training accelerators."),
    hours: Optional[float] = typer.Option(None, "--hours", help="Training wall-clock hours."),
    gpu_hours: Optional[float] = typer.Option(None, "--gpu-hours", help="Training device-hours."),
    params: Optional[float] = typer.Option(None, "--params", help="Parameters N (with --tokens: 6*N*D FLOPs)."),
    tokens: Optional[float] = typer.Option(None, "--tokens", help="Training tokens D."),
    power: Optional[float] = typer.Option(None, "--power", help="Training draw per device, W."),
    pue: Optional[float] = typer.Option(None, "--pue", help="PUE for both phases."),
    region: Optional[str] = typer.Option(None, "--region", help="Grid region for both phases (default: world)."),
    intensity: Optional[float] = typer.Option(None, "--intensity", help="Grid intensity for both phases, gCO2e/kWh."),
    serve_hardware: str = typer.Option("h100-sxm", "--serve-hardware", help="Serving hardware."),
    dim: Optional[List[str]] = typer.Option(None, "--dim", help="Bind a symbolic dim of the model: NAME=N."),
    batch: Optional[int] = typer.Option(None, "--batch", help="Serving batch size."),
    precision: Optional[Precision] = typer.Option(None, "--serve-precision", help="Serving precision."),
    inferences: Optional[float] = typer.Option(None, "--inferences", help="Total inferences served."),
    rate: Optional[str] = typer.Option(None, "--rate", help="Serving rate, e.g. 1e6/day (default 1e6/day)."),
    days: Optional[float] = typer.Option(None, "--days", help="Days served (default 365)."),
    units: Optional[Units] = typer.Option(None, "--units", help="metric (the default) or imperial."),
    fmt: Format = FORMAT_OPTION,
    output: Optional[Path] = OUTPUT_OPTION,
    hw_file: Optional[List[Path]] = HW_FILE_OPTION,
) -> None:
    """Training plus serving: total emissions and when serving outweighs training."""
    from wattprint.errors import WattprintError
    from wattprint.estimate import InferOptions, infer_model, parse_dims
    from wattprint.inference import parse_rate_per_day
    from wattprint.lifecycle import lifecycle as combine
    from wattprint.render.lifecycle import lifecycle_doc, lifecycle_sections
    from wattprint.training import estimate_training, load_training_spec

    _check_numbers(batch=("--batch", batch), inferences=("--inferences", inferences), days=("--days", days))
    if inferences is not None and (rate is not None or days is not None):
        raise WattprintError("give --inferences or --rate (with --days), not both")
    if inferences is None and rate is None:
        rate = "1e6/day"
    db = _hardware_db(hw_file)
    overrides = {"hardware": hardware, "count": count, "hours": hours, "gpu_hours": gpu_hours, "params": params,
                 "tokens": tokens, "power_w": power, "pue": pue, "region": region, "intensity_gco2e_per_kwh": intensity}
    defaults = _Defaults()
    units = defaults.units(units)
    _train_defaults(defaults, spec, overrides)
    trained = estimate_training(load_training_spec(spec, overrides), db, units.value)
    served = infer_model(model, InferOptions(
        hardware=serve_hardware, dims=parse_dims(dim), batch=batch, precision=precision.value if precision else None,
        region=trained.grid.label if trained.grid.kind == "region" else None,
        intensity=None if trained.grid.kind == "region" else trained.grid.intensity_gco2e_per_kwh,
        pue=trained.pue.pue, inferences=inferences, rate=rate, days=days, units=units.value,
    ), db)
    result = combine(trained, served, parse_rate_per_day(rate) if rate else None)
    emit(
        fmt,
        title=f"Lifecycle: {result.training.name} + serving {model.name}",
        doc=lambda: {**lifecycle_doc(result, units.value), **({"config_defaults": defaults.doc()} if defaults.doc() else {})},
        sections=lambda: defaults.note(lifecycle_sections(result, units.value)),
        csv=lambda: _lifecycle_csv(result),
        output=output,
    )


def _lifecycle_csv(result) -> tuple:
    header = ["phase", "energy_kwh", "co2e_kg"]
    rows = [["training", result.training.energy_kwh, result.training.co2e_kg],
            ["serving", result.inference.energy_kwh, result.serving_co2e_kg],
            ["total", result.total_energy_kwh, result.total_co2e_kg]]
    return header, rows


# ----------------------------------------------------------------------------- hardware


@hardware_app.command("list")
@handle_errors
def hardware_list(
    kind: Optional[HardwareKind] = typer.Option(None, "--kind", help="Only profiles of this kind."),
    fmt: Format = FORMAT_OPTION,
    hw_file: Optional[List[Path]] = HW_FILE_OPTION,
) -> None:
    """List hardware profiles."""
    from wattprint.render.reference import hardware_list_csv, hardware_list_doc, hardware_list_sections

    profiles = _hardware_db(hw_file).list(kind.value if kind else None)
    emit(
        fmt,
        title=f"Hardware profiles ({len(profiles)})",
        doc=lambda: hardware_list_doc(profiles),
        sections=lambda: hardware_list_sections(profiles),
        csv=lambda: hardware_list_csv(profiles),
    )


@hardware_app.command("show")
@handle_errors
def hardware_show(
    profile_id: str = typer.Argument(..., metavar="ID", help="Profile id or alias."),
    fmt: Format = FORMAT_OPTION,
    hw_file: Optional[List[Path]] = HW_FILE_OPTION,
) -> None:
    """Show one hardware profile with the source of each figure."""
    from wattprint.render.reference import profile_csv, profile_doc, profile_sections

    p = _hardware_db(hw_file).get(profile_id)
    emit(
        fmt,
        title=f"{p.id}: {p.name}",
        doc=lambda: profile_doc(p),
        sections=lambda: profile_sections(p),
        csv=lambda: profile_csv(p),
    )


# ----------------------------------------------------------------------------- regions


@regions_app.command("list")
@handle_errors
def regions_list(
    search: Optional[str] = typer.Option(None, "--search", "-s", help="Only regions whose id or name contains TEXT."),
    kind: Optional[RegionKind] = typer.Option(None, "--kind", help="Only regions of this kind."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List grid regions with their carbon intensity."""
    from wattprint.grid import load_regions
    from wattprint.render.reference import region_list_csv, region_list_doc, region_list_sections

    regions = load_regions().search(search, kind.value if kind else None)
    emit(
        fmt,
        title=f"Grid regions ({len(regions)})",
        doc=lambda: region_list_doc(regions),
        sections=lambda: region_list_sections(regions),
        csv=lambda: region_list_csv(regions),
    )


@regions_app.command("show")
@handle_errors
def regions_show(
    region_id: str = typer.Argument(..., metavar="ID", help="Region id or alias (fr, fra, us-ca, aws-us-east-1...)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Show one grid region with its source."""
    from wattprint.grid import load_regions
    from wattprint.render.reference import region_list_csv, region_doc, region_sections

    r = load_regions().get(region_id)
    emit(
        fmt,
        title=f"{r.id}: {r.name}",
        doc=lambda: region_doc(r),
        sections=lambda: region_sections(r),
        csv=lambda: region_list_csv([r]),
    )


# ----------------------------------------------------------------------------- demo


@app.command()
@handle_errors
def validate(
    points: bool = typer.Option(True, "--points/--summary-only", help="List every measured point, or only the summaries."),
    cross_validate: bool = typer.Option(True, "--cv/--no-cv", help="Leave-one-hardware-family-out cross-validation (refits the model)."),
    source: Optional[str] = typer.Option(None, "--source", help="Only the points of one source: mlperf or mlenergy."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Compare the inference energy model with every published measurement it ships (docs/validation.md)."""
    from wattprint.errors import WattprintError
    from wattprint.measured import load_measured
    from wattprint.render.validation import validation_csv, validation_doc, validation_sections
    from wattprint.validation import build_cases
    from wattprint.validation import validate as run_validation

    points_all = load_measured()
    sources = sorted({p.source_kind for p in points_all})
    if source is not None and source not in sources:
        raise WattprintError(f"--source {source!r} is not one of {', '.join(sources)}")
    chosen = [p for p in points_all if source is None or p.source_kind == source]
    report = run_validation(build_cases(chosen), cross_validate=cross_validate)
    emit(
        fmt,
        title="Validation: estimated vs measured inference energy",
        doc=lambda: validation_doc(report),
        sections=lambda: validation_sections(report, points),
        csv=lambda: validation_csv(report),
    )


@app.command()
@handle_errors
def demo(
    units: Units = typer.Option(Units.metric, "--units", help="metric or imperial."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Run the bundled examples on the default region: a training run and an inference, no files needed.

    Training: Transformer-big as accounted by Strubell et al. (2019), 8 x P100 for 84 h.
    Inference: ResNet-50 (the ONNX model zoo copy that ships inside the onnx package) on an H100,
    served 1 million times a day for a year.
    """
    from wattprint.datafiles import package_data
    from wattprint.estimate import InferOptions, demo_model_path, infer_model, train_run
    from wattprint.render.infer import infer_csv, infer_doc, infer_sections
    from wattprint.render.train import train_csv, train_doc, train_sections

    trained = train_run(package_data("demo-train.yaml"), {}, units=units.value)
    served = infer_model(demo_model_path(), InferOptions(rate="1e6/day", days=365, units=units.value))
    if fmt is Format.json:
        from wattprint import render
        from wattprint.cli_errors import stop_progress

        stop_progress()
        sys.stdout.write(render.to_json({"kind": "demo", "train": train_doc(trained, units.value), "infer": infer_doc(served)}))
        return
    infer_title = f"Demo 2/2, inference: ResNet-50 (onnx model zoo) on {served.hardware.id}, 1e6 inferences/day for a year"
    if fmt is Format.csv:  # one table holding both parts, one row each
        from wattprint import render

        sys.stdout.write(render.to_csv(*_demo_csv(trained, served)))
        return
    if fmt is Format.html:
        from wattprint.render.html import to_html

        sys.stdout.write(to_html("wattprint demo: a training run and an inference", infer_doc(served),
                                 train_sections(trained, units.value) + infer_sections(served, units.value, top=10)))
        return
    emit(
        fmt,
        title=f"Demo 1/2, training run: {trained.name}",
        doc=dict,
        sections=lambda: train_sections(trained, units.value),
        csv=lambda: train_csv(trained),
    )
    sys.stdout.write("\n")
    sys.stdout.flush()
    emit(
        fmt,
        title=infer_title,
        doc=dict,
        sections=lambda: infer_sections(served, units.value, top=10),
        csv=lambda: infer_csv(served),
    )


DEMO_CSV_COLUMNS = ["part", "name", "hardware", "region", "intensity_gco2e_per_kwh", "pue", "energy_kwh", "co2e_kg",
                    "inferences", "energy_per_inference_j", "co2e_per_inference_g"]


def _demo_csv(trained, served) -> tuple:
    """Both demo parts as rows of one CSV (energy and CO2e of the part; the per-inference figures for inference)."""
    rows = [
        ["training", trained.name, trained.hardware.id, trained.grid.label, trained.grid.intensity_gco2e_per_kwh,
         trained.pue.pue, trained.energy_kwh, trained.co2e_kg, None, None, None],
        ["inference", served.model.path.rsplit("/", 1)[-1], served.hardware.id, served.grid.label,
         served.grid.intensity_gco2e_per_kwh, served.pue.pue, served.energy_kwh, served.co2e_kg, served.inferences,
         served.energy_per_inference_j, served.co2e_per_inference_g],
    ]
    return DEMO_CSV_COLUMNS, rows


from wattprint.cli_check import register as _register_check; _register_check(app)

#: metavars that read as the value to type, by option name (others: from the type, see _readable_metavars)
METAVARS = {
    "--hardware": "ID", "--serve-hardware": "ID", "--region": "REGION", "--provider": "PROVIDER",
    "--compare-region": "ID[,ID...]", "--compare-hardware": "ID[,ID...]", "--hw-file": "PATH", "--grid-file": "PATH",
    "--model": "MODEL.onnx", "--count": "N", "--batch": "N", "--top": "N", "--epochs": "N", "--params": "N",
    "--tokens": "N", "--samples": "N", "--inferences": "N", "--hours": "HOURS", "--gpu-hours": "HOURS",
    "--window": "HOURS", "--days": "DAYS", "--mfu": "FRACTION", "--utilization": "FRACTION", "--power": "WATTS",
    "--pue": "PUE", "--intensity": "GCO2E/KWH", "--start": "ISO-8601", "--rate": "N/UNIT", "--dim": "NAME=N",
    "--task": "TASK", "--name": "NAME", "--system": "ID", "--power-limit": "WATTS", "--prompt-tokens": "N",
    "--output-tokens": "N", "--concurrency": "N", "--devices": "N", "--lifetime-years": "YEARS", "--host-embodied-kg": "KG", "--search": "TEXT",
}
def _complete_hardware(incomplete: str) -> list[str]:
    """Shell completion of hardware ids and aliases."""
    from wattprint.hardware import load_hardware

    db = load_hardware(())
    names = {p.id for p in db.list(None)} | {a for p in db.list(None) for a in p.aliases}
    return sorted(n for n in names if n.startswith(incomplete.lower()))


def _complete_region(incomplete: str) -> list[str]:
    """Shell completion of region ids."""
    from wattprint.grid import load_regions

    return sorted(r.id for r in load_regions().search(None, None) if r.id.startswith(incomplete.lower()))


COMPLETIONS = {"--hardware": _complete_hardware, "--serve-hardware": _complete_hardware, "--region": _complete_region}
ARGUMENT_METAVARS = {"model": "MODEL.onnx", "spec": "SPEC.yaml"}


def _readable_metavars(typer_app: typer.Typer) -> None:
    """Give every option and argument a metavar that reads as a value (HOURS, ID, PATH; choices stay listed)."""
    import inspect

    from typer.models import ArgumentInfo, OptionInfo

    apps = [typer_app] + [group.typer_instance for group in typer_app.registered_groups]
    for a in apps:
        for command in a.registered_commands:
            for param in inspect.signature(command.callback).parameters.values():
                info, annotation = param.default, param.annotation
                if isinstance(info, ArgumentInfo) and info.metavar is None:
                    info.metavar = ARGUMENT_METAVARS.get(param.name, param.name.upper())
                if not isinstance(info, OptionInfo) or info.metavar is not None:
                    continue
                name = next((d for d in info.param_decls if d.startswith("--")), None)
                if name in COMPLETIONS and info.autocompletion is None and info.shell_complete is None:
                    info.autocompletion = COMPLETIONS[name]
                text = str(annotation)
                if name in METAVARS:
                    info.metavar = METAVARS[name]
                elif "bool" in text:
                    continue
                elif "Path" in text:
                    info.metavar = "PATH"
                elif "int" in text:
                    info.metavar = "N"
                elif "float" in text:
                    info.metavar = "NUMBER"
                elif "str" in text and name:
                    info.metavar = name.lstrip("-").upper()


_readable_metavars(app)


def _flags_without_type() -> None:
    """--help shows no '<bool>' beside on/off flags, and no '<path>' beside an argument already named MODEL.onnx."""
    from typer import core

    def patch(cls, hide) -> None:  # type: ignore[no-untyped-def]
        original = getattr(cls, "display_type_rich", None)
        if original is None or getattr(original, "_wattprint", False):
            return

        def display_type_rich(self, ctx):  # type: ignore[no-untyped-def]
            return None if hide(self) else original(self, ctx)

        display_type_rich._wattprint = True  # type: ignore[attr-defined]
        cls.display_type_rich = display_type_rich

    patch(core.TyperOption, lambda opt: getattr(opt, "is_flag", False))
    patch(core.TyperArgument, lambda arg: arg.metavar is not None)


_flags_without_type()

def main() -> None:
    app(prog_name="wattprint")


if __name__ == "__main__":  # pragma: no cover
    main()
