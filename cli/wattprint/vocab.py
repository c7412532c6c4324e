"""The words wattprint's inputs and results are made of, defined once.

Every closed set of values (precisions, output formats, check statuses, where a power or grid figure came from)
is an enum here; the CLI takes its choices from these, the core compares against members, and renderers own
the wording shown to people. Members are ``str`` subclasses whose ``str()``/format is the bare value, so a
member written to JSON, CSV or an f-string reads exactly as the plain string did before.

This module imports nothing but the standard library: ``wattprint --help`` loads it.
"""

from __future__ import annotations

from enum import Enum


class Choice(str, Enum):
    """A str enum that prints as its value (``f"{Precision.fp16}"`` is ``fp16``, as in JSON)."""

    __str__ = str.__str__
    # str's own format on purpose (the bare value); typeshed types Enum.__format__ as a method, hence the ignore
    __format__ = str.__format__  # type: ignore[assignment]
    __hash__ = str.__hash__  # a member and its value are one dict key

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)


# ----------------------------------------------------------------------------- precisions


class Precision(Choice):
    """The precisions `infer` (and a budget's model target) can cost every float tensor at."""

    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"
    fp8 = "fp8"
    int8 = "int8"


class TrainPrecision(Choice):
    """The precisions a training run's peak throughput can be taken at (tf32: tensor-core fp32)."""

    fp32 = "fp32"
    tf32 = "tf32"
    fp16 = "fp16"
    bf16 = "bf16"
    fp8 = "fp8"
    int8 = "int8"


class PeakPrecision(Choice):
    """The precisions a hardware profile publishes a peak for."""

    fp64 = "fp64"
    fp32 = "fp32"
    tf32 = "tf32"
    fp16 = "fp16"
    bf16 = "bf16"
    fp8 = "fp8"
    int8 = "int8"


PRECISIONS: tuple[str, ...] = Precision.values()
TRAIN_PRECISIONS: tuple[str, ...] = TrainPrecision.values()
PEAK_PRECISIONS: tuple[str, ...] = PeakPrecision.values()


# ----------------------------------------------------------------------------- output


class OutputFormat(Choice):
    """Every output format; a command declares the subset it writes (:func:`wattprint.commands.options.format_option`)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    junit = "junit"

    @property
    def machine(self) -> bool:
        """Written as text for programs (never through Rich)."""
        return self is not OutputFormat.table


#: ``-o FILE`` picks the format from the suffix when --format is not given
SUFFIX_FORMATS = {
    ".html": OutputFormat.html, ".htm": OutputFormat.html, ".json": OutputFormat.json, ".csv": OutputFormat.csv,
    ".md": OutputFormat.markdown, ".markdown": OutputFormat.markdown, ".xml": OutputFormat.junit,
}


class Units(Choice):
    metric = "metric"
    imperial = "imperial"


class FunctionalUnit(Choice):
    """SCI functional units (R)."""

    inference = "inference"
    request = "request"
    token = "token"
    run = "run"


class ByGroup(Choice):
    op = "op"


# ----------------------------------------------------------------------------- budgets (wattprint check)


class CheckStatus(Choice):
    passed = "pass"
    warn = "warn"
    fail = "fail"
    skipped = "skipped"


class FailOn(Choice):
    error = "error"
    warn = "warn"


# ----------------------------------------------------------------------------- where a figure came from


class PowerBasis(Choice):
    """Where a training run's power per device came from (the renderer words it, e.g. 'TDP 300 W x utilisation 1')."""

    given = "given"  # --power / power_w
    tdp = "tdp"  # TDP x utilisation
    measured = "measured"  # the profile's measured mean (no TDP published)


class GridBasis(Choice):
    """Which emissions a grid intensity counts: the plants' whole life cycle, or the stack only."""

    lifecycle = "lifecycle"
    direct = "direct"


class GapPolicy(Choice):
    """Gaps in a grid time series inside a run."""

    fill = "fill"
    error = "error"


# Hardware profile kinds (wattprint.hardware.KINDS) and region kinds (regions/regions.csv): kept here so that
# `--help` needs no data loaded; tests/test_shell.py checks them against the data.


class HardwareKind(Choice):
    """Hardware profile kinds (`hardware list --kind`)."""

    gpu = "gpu"
    tpu = "tpu"
    cpu = "cpu"
    edge = "edge"
    npu = "npu"


class RegionKind(Choice):
    """Region kinds (`regions list --kind`); the values are the data's, hyphens and all."""

    world = "world"
    continent = "continent"
    country = "country"
    subnational = "subnational"
    us_state = "us-state"
    ca_province = "ca-province"
    cloud = "cloud"
