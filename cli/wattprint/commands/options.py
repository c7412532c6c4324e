"""Every command-line option, declared once.

Each alias below is an ``Annotated`` type carrying its ``typer.Option`` (flag, help, metavar, completion,
help panel); a command takes a flag by annotating a parameter with it, so every command that estimates takes
the same flags with the same help. A new flag is one alias here (and, when it sets a spec/budget field with
another name, an entry in :data:`wattprint.commands.common.FIELD_FLAGS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeAlias

import typer

from wattprint.vocab import (
    ByGroup,
    Choice,
    FailOn,
    FunctionalUnit,
    GapPolicy,
    GridBasis,
    HardwareKind,
    OutputFormat,
    Precision,
    RegionKind,
    TrainPrecision,
    Units,
)


def _complete_hardware(incomplete: str) -> list[str]:
    """Shell completion of hardware ids and aliases."""
    from wattprint.hardware import load_hardware

    db = load_hardware(())
    names = {p.id for p in db.list(None)} | {a for p in db.list(None) for a in p.aliases}
    return sorted(n for n in names if n.startswith(incomplete.lower()))


def _complete_region(incomplete: str) -> list[str]:
    """Shell completion of region ids."""
    from wattprint.carbon import load_regions

    return sorted(r.id for r in load_regions().search(None, None) if r.id.startswith(incomplete.lower()))


COMPUTE, WHAT_IF, EMBODIED, STANDARDS, LLM = "From compute", "What-if", "Embodied", "Standards", "LLM generation"

# ----------------------------------------------------------------------------- arguments


def _model_path(value: str) -> Path:
    """A model path as typed: an empty one is an error (as a Path, '' would become '.', the current folder,
    and its config.json would be estimated without being named)."""
    if not str(value).strip():
        raise typer.BadParameter("the path is empty: pass a model file (or a config.json, or a built-in LLM name)")
    return Path(value)


SpecArg = Annotated[Path | None, typer.Argument(metavar="SPEC.yaml", show_default=False,
                                                    help="Training run spec (YAML). Flags override its fields.")]
ModelArg = Annotated[Path, typer.Argument(metavar="MODEL.onnx", show_default=False, help="ONNX model file.",
                                          parser=_model_path)]

# ----------------------------------------------------------------------------- what runs, and how much

Hardware = Annotated[str | None, typer.Option(
    "--hardware", metavar="ID", autocompletion=_complete_hardware,
    help="Hardware profile id or alias (a100, h100, v100, tpu-v3...; infer's default: h100-sxm).")]
Count = Annotated[int | None, typer.Option("--count", metavar="N", help="Number of accelerators.")]
Hours = Annotated[float | None, typer.Option("--hours", metavar="HOURS", help="Wall-clock hours of the run.")]
GpuHours = Annotated[float | None, typer.Option("--gpu-hours", metavar="HOURS", help="Device-hours (instead of --hours).")]
Params = Annotated[float | None, typer.Option("--params", metavar="N", rich_help_panel=COMPUTE,
                                                 help="Model parameters N: with --tokens, 6*N*D FLOPs.")]
Tokens = Annotated[float | None, typer.Option("--tokens", metavar="N", rich_help_panel=COMPUTE, help="Training tokens D.")]
TrainModel = Annotated[Path | None, typer.Option("--model", metavar="MODEL.onnx", rich_help_panel=COMPUTE,
                                                    parser=_model_path,
                                                    help="ONNX model: with --samples, 3x forward FLOPs per sample.")]
Samples = Annotated[float | None, typer.Option("--samples", metavar="N", rich_help_panel=COMPUTE,
                                                  help="Training samples per epoch.")]
Epochs = Annotated[float | None, typer.Option("--epochs", metavar="N", rich_help_panel=COMPUTE, help="Epochs (default 1).")]
Mfu = Annotated[float | None, typer.Option("--mfu", metavar="FRACTION", rich_help_panel=COMPUTE,
                                              help="Model FLOPs utilisation (default: published median 0.28).")]
TrainPrecisionOpt = Annotated[TrainPrecision | None, typer.Option(
    "--precision", rich_help_panel=COMPUTE, help="Precision whose peak applies (default bf16).")]
Power = Annotated[float | None, typer.Option("--power", metavar="WATTS",
                                                help="Average draw per device, W (default: TDP x utilisation).")]
Utilization = Annotated[float | None, typer.Option("--utilization", metavar="FRACTION",
                                                      help="Average fraction of TDP drawn (0-1].")]
Name = Annotated[str | None, typer.Option("--name", metavar="NAME", help="Name of the run.")]

# ----------------------------------------------------------------------------- datacenter and grid

Pue = Annotated[float | None, typer.Option("--pue", metavar="PUE",
                                              help="Datacenter PUE (default: provider's or global average).")]
Provider = Annotated[str | None, typer.Option("--provider", metavar="PROVIDER",
                                                 help="Cloud provider for the PUE default (aws, gcp, azure).")]
Region = Annotated[str | None, typer.Option("--region", metavar="REGION", autocompletion=_complete_region,
                                               help="Grid region id (default: world).")]
Intensity = Annotated[float | None, typer.Option("--intensity", metavar="GCO2E/KWH", help="Grid intensity, gCO2e/kWh.")]
GridFile = Annotated[Path | None, typer.Option(
    "--grid-file", metavar="PATH",
    help="Grid intensity file (YAML constant or CSV/YAML time series; without --start a series gives its mean).")]
Start = Annotated[str | None, typer.Option("--start", metavar="ISO-8601",
                                              help="Run start (ISO 8601, e.g. 2022-07-01T00:00Z) for hourly grid files.")]
Gaps = Annotated[GapPolicy | None, typer.Option(
    "--gaps", help="Gaps in a grid series inside the run: fill (linear, up to 6 h, with a warning) or error.")]
GridBasisOpt = Annotated[GridBasis | None, typer.Option(
    "--grid-basis", help="Column of a grid export with both (Electricity Maps): lifecycle (default) or direct.")]

# ----------------------------------------------------------------------------- what-if

BestStart = Annotated[bool, typer.Option("--best-start", rich_help_panel=WHAT_IF,
                                         help="Find the start with the least emissions in --window (needs an hourly --grid-file).")]
Window = Annotated[float | None, typer.Option("--window", metavar="HOURS", rich_help_panel=WHAT_IF,
                                                help="Hours after --start to search (default: the whole series).")]
CompareRegion = Annotated[list[str] | None, typer.Option("--compare-region", metavar="ID[,ID...]", rich_help_panel=WHAT_IF,
                                                            help="Also estimate in these regions (comma-separated).")]
CompareHardware = Annotated[list[str] | None, typer.Option("--compare-hardware", metavar="ID[,ID...]", rich_help_panel=WHAT_IF,
                                                              help="Also estimate on these devices (comma-separated).")]

# ----------------------------------------------------------------------------- embodied, standards

Embodied = Annotated[bool, typer.Option("--embodied", rich_help_panel=EMBODIED,
                                        help="Include amortised embodied emissions in the totals.")]
LifetimeYears = Annotated[float | None, typer.Option("--lifetime-years", metavar="YEARS", rich_help_panel=EMBODIED,
                                                        help="Device service life (default 5).")]
HostEmbodiedKg = Annotated[float | None, typer.Option("--host-embodied-kg", metavar="KG", rich_help_panel=EMBODIED,
                                                         help="Server embodied kgCO2e per device slot (default 312.5).")]
FunctionalUnitOpt = Annotated[FunctionalUnit | None, typer.Option(
    "--functional-unit", rich_help_panel=STANDARDS,
    help="Also give the SCI score (ISO/IEC 21031:2024), (E x I + M) per this unit: inference (infer), "
         "run (train; infer with a volume), request/token (generation workloads).")]

# ----------------------------------------------------------------------------- inference and serving

Dim = Annotated[list[str] | None, typer.Option("--dim", metavar="NAME=N", help="Bind a symbolic dim: NAME=N (repeatable).")]
Batch = Annotated[int | None, typer.Option("--batch", metavar="N", help="Batch size (binds the first dim of the inputs).")]
PrecisionOpt = Annotated[Precision | None, typer.Option(
    "--precision", help="Cost all float tensors at this precision (default: the model's dtypes).")]
Inferences = Annotated[float | None, typer.Option("--inferences", metavar="N", help="Total inferences served.")]
Rate = Annotated[str | None, typer.Option("--rate", metavar="N/UNIT", help="Serving rate, e.g. 1e6/day, 200/s.")]
Days = Annotated[float | None, typer.Option("--days", metavar="DAYS", help="Days served at --rate (default 365).")]
System = Annotated[str | None, typer.Option(
    "--system", metavar="ID",
    help="System (node) profile around the accelerator (default: the hardware's own; see docs/methodology.md).")]
PowerLimit = Annotated[float | None, typer.Option(
    "--power-limit", metavar="WATTS",
    help="Power limit per accelerator in W, for capped deployments such as MaxQ (default: its TDP).")]
Top = Annotated[int | None, typer.Option("--top", metavar="N", help="Show the N most energy-hungry layers (0: all; default 25).")]
By = Annotated[ByGroup | None, typer.Option("--by", help="Group layers by op type.")]
Task = Annotated[str | None, typer.Option("--task", metavar="TASK", help="Task class for the energy label (default: guessed).")]
PromptTokens = Annotated[int | None, typer.Option("--prompt-tokens", metavar="N", rich_help_panel=LLM,
                                                     help="Prompt tokens per request.")]
OutputTokens = Annotated[int | None, typer.Option("--output-tokens", metavar="N", rich_help_panel=LLM,
                                                     help="Output tokens per request.")]
Concurrency = Annotated[int | None, typer.Option("--concurrency", metavar="N", rich_help_panel=LLM,
                                                    help="Sequences decoded together (default 1).")]
Devices = Annotated[int | None, typer.Option("--devices", metavar="N", rich_help_panel=LLM,
                                                help="Tensor-parallel devices (default 1).")]
KvPrecision = Annotated[Precision | None, typer.Option("--kv-precision", rich_help_panel=LLM,
                                                          help="KV-cache precision (default: --precision).")]

# lifecycle: the serving side of a training + serving estimate
ServeModel = Annotated[Path, typer.Option("--model", metavar="MODEL.onnx", show_default=False, parser=_model_path,
                                          help="The trained model (ONNX) to serve.")]
ServeHardware = Annotated[str, typer.Option("--serve-hardware", metavar="ID", autocompletion=_complete_hardware,
                                            help="Serving hardware.")]
ServePrecision = Annotated[Precision | None, typer.Option("--serve-precision", help="Serving precision.")]

# ----------------------------------------------------------------------------- output and data

UnitsOpt = Annotated[Units | None, typer.Option("--units", help="metric (g/kg/t, km; the default) or imperial (lbs, miles).")]
HwFile = Annotated[list[Path] | None, typer.Option(
    "--hw-file", metavar="PATH", help="Extra hardware profile YAML (repeatable); merged over the built-in ones.")]
Output = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="PATH",
    help="Write the report to PATH instead of stdout (.html, .json, .csv, .md pick the format).")]

#: the formats of the commands that estimate or list (check adds junit and drops csv)
REPORT_FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.csv, OutputFormat.markdown, OutputFormat.html)
CHECK_FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.markdown, OutputFormat.junit, OutputFormat.html)


def _as_output_format(value: Choice | None) -> OutputFormat | None:
    return None if value is None else OutputFormat(value.value)


def format_option(name: str, formats: tuple[OutputFormat, ...], help: str = "Output format (html: a self-contained report).") -> object:
    """--format/-f offering the formats a command writes; the command receives an :class:`OutputFormat`."""
    # the functional Enum API on a str-mixin subclass: mypy resolves the call to str's constructor, hence the ignore
    subset = Choice(name, {f.name: f.value for f in formats})  # type: ignore[call-overload]
    return Annotated[subset, typer.Option("--format", "-f", help=help, callback=_as_output_format)]


if TYPE_CHECKING:
    # what a command receives: _as_output_format turns the subset's member into an OutputFormat
    Format: TypeAlias = OutputFormat
    CheckFormat: TypeAlias = OutputFormat
else:
    Format = format_option("ReportFormat", REPORT_FORMATS)
    CheckFormat = format_option("CheckFormat", CHECK_FORMATS, help="Output format on stdout.")

# ----------------------------------------------------------------------------- reference data and checks

HardwareKindOpt = Annotated[HardwareKind | None, typer.Option("--kind", help="Only profiles of this kind.")]
RegionKindOpt = Annotated[RegionKind | None, typer.Option("--kind", help="Only regions of this kind.")]
Search = Annotated[str | None, typer.Option("--search", "-s", metavar="TEXT",
                                               help="Only regions whose id or name contains TEXT.")]
FailOnOpt = Annotated[FailOn, typer.Option("--fail-on", help="error: only error-level assertions fail; warn: warnings fail too.")]
