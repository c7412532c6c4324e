"""Hardware profiles: the sourced figures of accelerators and host CPUs.

A profile is one YAML file under ``hwprofiles/`` (shipped) or a user folder.
To add a device, add one file; the schema is :class:`ProfileSpec`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wattprint.citation import Source
from wattprint.datafiles import data_dir
from wattprint.errors import UnknownIdError, WattprintError
from wattprint.limits import pydantic_check, reject_bool
from wattprint.vocab import PEAK_PRECISIONS
from wattprint.yamlio import format_validation_error, load_yaml

PRECISIONS = PEAK_PRECISIONS
#: peak_tflops' keys, spelled out for the type checker (tests/test_shell.py checks they are PEAK_PRECISIONS)
PeakKey = Literal["fp64", "fp32", "tf32", "fp16", "bf16", "fp8", "int8"]
KINDS = ("gpu", "tpu", "cpu", "edge", "npu")
#: Device families (``architecture``): the unit per-family coefficients are fitted on.
ARCHITECTURES = (
    "pascal",
    "volta",
    "turing",
    "ampere",
    "ada",
    "hopper",
    "blackwell",
    "orin",
    "qualcomm-ai100",
    "cdna",
    "tpu",
    "cpu",
    "apple",
    "other",
)
Architecture = Literal[
    "pascal", "volta", "turing", "ampere", "ada", "hopper", "blackwell", "orin", "qualcomm-ai100", "cdna", "tpu",
    "cpu", "apple", "other",
]
#: Figures that must be covered by a source's ``fields`` list when present.
FIGURE_FIELDS = (
    "tdp_w",
    "idle_w",
    "min_power_limit_w",
    "max_power_limit_w",
    "interconnect_bandwidth_gbps",
    "on_chip_memory_mb",
    "typical_power_w",
    "peak_tflops",
    "memory_gb",
    "memory_bandwidth_gbps",
    "process_node",
    "die_area_mm2",
    "embodied",
)
USER_DIR_ENV = "WATTPRINT_HWPROFILES"


class _Strict(BaseModel):
    # non-finite figures are errors (and `true` is not 1: see ProfileSpec._not_bool)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SourceSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str
    publisher: str
    year: int = Field(ge=1990, le=2030)
    url: str | None = None
    licence: str | None = None
    fields: list[str] = Field(min_length=1, description="which figures this source supports")
    note: str | None = None

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        for name in value:
            base = name.split(".")[0]
            if base not in FIGURE_FIELDS:
                raise ValueError(f"unknown figure {name!r}; expected one of {', '.join(FIGURE_FIELDS)}")
        return value


class EmbodiedSpec(_Strict):
    kgco2e: float = Field(gt=0)

    @field_validator("kgco2e", mode="before")
    @classmethod
    def _bounded(cls, value):  # plausible range: wattprint.limits, docs/limits.md
        return pydantic_check("embodied_kgco2e", reject_bool(value)) if isinstance(value, (int, float)) else value
    model: str = Field(description="which embodied-carbon model produced the figure")
    scope: str = Field(description="what it covers, e.g. 'die + HBM, manufacturing only'")


class EfficiencySpec(_Strict):
    """Fractions of datasheet peak reached in practice (calibration)."""

    compute: float = Field(gt=0, le=1)
    memory: float = Field(gt=0, le=1)
    basis: str


class ProfileSpec(_Strict):
    """The YAML schema of one hardware profile."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="lower-case kebab case")
    name: str
    vendor: str
    kind: Literal["gpu", "tpu", "cpu", "edge", "npu"]
    architecture: Architecture | None = Field(
        default=None, description="device family; every built-in GPU/edge profile names one"
    )
    aliases: list[str] = []
    released: int | None = Field(default=None, ge=1990, le=2030)
    tdp_w: float | None = Field(default=None, gt=0, description="board/package TDP in watts")
    idle_w: float | None = Field(default=None, ge=0)
    min_power_limit_w: float | None = Field(default=None, gt=0, description="lowest settable power limit")
    max_power_limit_w: float | None = Field(default=None, gt=0, description="highest settable power limit")
    interconnect: str | None = Field(default=None, description="device-to-device link, e.g. 'NVLink 4 (NVSwitch)'")
    interconnect_bandwidth_gbps: float | None = Field(
        default=None, gt=0, description="per-device link bandwidth in GB/s, total of both directions"
    )
    default_system: str | None = Field(
        default=None, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="system profile a bare --hardware implies"
    )
    typical_power_w: float | None = Field(
        default=None, gt=0, description="measured mean power where no TDP is published (e.g. TPU)"
    )
    peak_tflops: dict[PeakKey, float] = Field(
        default_factory=dict, description="dense peak TFLOPS (TOPS for int8), never the sparsity figure"
    )
    memory_gb: float | None = Field(default=None, gt=0)
    memory_bandwidth_gbps: float | None = Field(default=None, gt=0)
    on_chip_memory_mb: float | None = Field(
        default=None, gt=0, description="last-level on-chip memory shared by all cores (L2 cache or SRAM), MB"
    )
    process_node: str | None = None
    die_area_mm2: float | None = Field(default=None, gt=0)
    embodied: EmbodiedSpec | None = None
    efficiency: EfficiencySpec | None = None
    notes: str | None = None
    sources: list[SourceSpec] = Field(min_length=1)

    @field_validator("peak_tflops")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        for key, tflops in value.items():
            if not tflops > 0:
                raise ValueError(f"peak_tflops.{key} must be > 0")
            pydantic_check("peak_tflops", tflops)
        return value

    @field_validator("tdp_w", "idle_w", "typical_power_w", "memory_gb", "memory_bandwidth_gbps", "die_area_mm2",
                     "released", mode="before")
    @classmethod
    def _not_bool(cls, value):
        return reject_bool(value)

    @field_validator("peak_tflops", mode="before")
    @classmethod
    def _no_bool_peaks(cls, value):
        if isinstance(value, dict):
            for v in value.values():
                reject_bool(v)
        return value

    @field_validator("tdp_w", "idle_w", "typical_power_w", "memory_gb", "memory_bandwidth_gbps", "die_area_mm2")
    @classmethod
    def _bounded(cls, value, info):  # plausible ranges: wattprint.limits, docs/limits.md
        return pydantic_check(info.field_name, value)

    @model_validator(mode="after")
    def _sourced(self) -> ProfileSpec:
        covered = {f.split(".")[0] for s in self.sources for f in s.fields}
        for name in FIGURE_FIELDS:
            value = getattr(self, name)
            if value not in (None, {}) and name not in covered:
                raise ValueError(f"figure {name!r} has no source: list it under a source's 'fields'")
        if self.idle_w is not None and self.tdp_w is not None and self.idle_w > self.tdp_w:
            raise ValueError("idle_w is above tdp_w")
        low, high = self.min_power_limit_w, self.max_power_limit_w
        if low is not None and high is not None and low > high:
            raise ValueError("min_power_limit_w is above max_power_limit_w")
        if self.idle_w is not None and high is not None and self.idle_w > high:
            raise ValueError("idle_w is above max_power_limit_w")
        return self


@dataclass(frozen=True)
class HardwareProfile:
    id: str
    name: str
    vendor: str
    kind: str
    tdp_w: float | None
    idle_w: float | None = None
    typical_power_w: float | None = None
    #: device family (see ARCHITECTURES); None in a user profile that names none
    architecture: str | None = None
    min_power_limit_w: float | None = None
    max_power_limit_w: float | None = None
    interconnect: str | None = None
    interconnect_bandwidth_gbps: float | None = None
    default_system: str | None = None
    peak_tflops: dict[str, float] = field(default_factory=dict)
    memory_gb: float | None = None
    memory_bandwidth_gbps: float | None = None
    on_chip_memory_mb: float | None = None
    process_node: str | None = None
    die_area_mm2: float | None = None
    embodied_kgco2e: float | None = None
    embodied_model: str | None = None
    efficiency_compute: float | None = None
    efficiency_memory: float | None = None
    efficiency_basis: str | None = None
    aliases: tuple[str, ...] = ()
    released: int | None = None
    sources: tuple[Source, ...] = ()
    #: (figure, source) pairs: which source supports which figure
    figure_sources: tuple[tuple[str, Source], ...] = ()
    notes: str | None = None
    origin: str = "built-in"

    def figure_source(self, figure: str) -> Source | None:
        return dict(self.figure_sources).get(figure.split(".")[0])

    def peak(self, precision: str) -> float | None:
        """Dense peak in TFLOPS at ``precision``, None when not published."""
        return self.peak_tflops.get(precision)


def sources_of(specs: Sequence[Any]) -> tuple[tuple[Source, ...], dict[str, Source]]:
    """The citations of a profile's ``sources`` list, and which source supports each figure (the first listed)."""
    sources = tuple(
        Source(id=s.id, title=s.title, publisher=s.publisher, year=s.year, url=s.url, licence=s.licence)
        for s in specs
    )
    figure_sources: dict[str, Source] = {}
    for s_spec, src in zip(specs, sources):
        for f in s_spec.fields:
            figure_sources.setdefault(f.split(".")[0], src)
    return sources, figure_sources


def _to_profile(spec: ProfileSpec, origin: str) -> HardwareProfile:
    sources, figure_sources = sources_of(spec.sources)
    return HardwareProfile(
        id=spec.id,
        name=spec.name,
        vendor=spec.vendor,
        kind=spec.kind,
        tdp_w=spec.tdp_w,
        idle_w=spec.idle_w,
        typical_power_w=spec.typical_power_w,
        architecture=spec.architecture,
        min_power_limit_w=spec.min_power_limit_w,
        max_power_limit_w=spec.max_power_limit_w,
        interconnect=spec.interconnect,
        interconnect_bandwidth_gbps=spec.interconnect_bandwidth_gbps,
        default_system=spec.default_system,
        peak_tflops={k: v for k, v in spec.peak_tflops.items()},
        memory_gb=spec.memory_gb,
        memory_bandwidth_gbps=spec.memory_bandwidth_gbps,
        on_chip_memory_mb=spec.on_chip_memory_mb,
        process_node=spec.process_node,
        die_area_mm2=spec.die_area_mm2,
        embodied_kgco2e=spec.embodied.kgco2e if spec.embodied else None,
        embodied_model=spec.embodied.model if spec.embodied else None,
        efficiency_compute=spec.efficiency.compute if spec.efficiency else None,
        efficiency_memory=spec.efficiency.memory if spec.efficiency else None,
        efficiency_basis=spec.efficiency.basis if spec.efficiency else None,
        aliases=tuple(a.lower() for a in spec.aliases),
        released=spec.released,
        sources=sources,
        figure_sources=tuple(figure_sources.items()),
        notes=spec.notes,
        origin=origin,
    )


def load_profile_file(path: Path, origin: str | None = None) -> list[HardwareProfile]:
    """Load one profile YAML file (a mapping, or a list of mappings)."""
    data = load_yaml(path, "hardware profile")
    items = data if isinstance(data, list) else [data]
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise WattprintError(f"{path}: expected a mapping of profile fields, got {type(item).__name__}")
        try:
            spec = ProfileSpec.model_validate(item)
        except ValidationError as exc:
            raise _located(path, exc, index if isinstance(data, list) else None) from None
        out.append(_to_profile(spec, origin or str(path)))
    return out


def _located(path: Path, exc: ValidationError, index: int | None) -> WattprintError:
    if index is None:
        return format_validation_error(path, exc, model=ProfileSpec)

    class _Shifted:  # prefix the list index so the line lookup finds the item
        def errors(self):
            return [{**e, "loc": (index, *e["loc"])} for e in exc.errors()]

    return format_validation_error(path, _Shifted(), model=ProfileSpec)


def lookup(what: str, key: str, items: dict, aliases: dict[str, str]):
    """An item by id or alias (case-insensitive), else UnknownIdError with the closest ids."""
    k = key.strip().lower()
    if k in items:
        return items[k]
    if k in aliases:
        return items[aliases[k]]
    raise UnknownIdError(what, key, difflib.get_close_matches(k, list(items) + list(aliases), n=3, cutoff=0.5))


@dataclass(frozen=True)
class HardwareDB:
    profiles: dict[str, HardwareProfile]
    aliases: dict[str, str]

    def get(self, key: str) -> HardwareProfile:
        return lookup("hardware", key, self.profiles, self.aliases)

    def list(self, kind: str | None = None) -> list[HardwareProfile]:
        items = sorted(self.profiles.values(), key=lambda p: (p.kind, p.vendor.lower(), p.id))
        return [p for p in items if kind is None or p.kind == kind]


def user_profile_dir() -> Path:
    """``$WATTPRINT_HWPROFILES``, else ``$XDG_CONFIG_HOME/wattprint/hwprofiles`` (~/.config/...)."""
    if os.environ.get(USER_DIR_ENV):
        return Path(os.environ[USER_DIR_ENV])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "wattprint" / "hwprofiles"


def _profiles_in(folder: Path, origin: str | None) -> list[HardwareProfile]:
    out: list[HardwareProfile] = []
    for path in sorted(folder.glob("*.y*ml")):
        out.extend(load_profile_file(path, origin))
    return out


@cache
def builtin_profiles() -> tuple[HardwareProfile, ...]:
    return tuple(_profiles_in(data_dir("hwprofiles"), "built-in"))


def _check_alias_clashes(layers: list[tuple[HardwareProfile, ...]]) -> None:
    """A user profile may replace a profile by its id, but its aliases never take another profile's name."""
    owner: dict[str, HardwareProfile] = {}
    for n, layer in enumerate(layers):
        for p in layer:
            if n > 0:
                for alias in p.aliases:
                    prev = owner.get(alias)
                    if prev is not None and prev.id != p.id:
                        what = "the id" if alias == prev.id else "an alias"
                        raise WattprintError(
                            f"{p.origin}: alias {alias!r} of profile {p.id!r} is already {what} of profile "
                            f"{prev.id!r} ({prev.origin})",
                            hint="rename the alias, or give the profile the same id to replace it",
                        )
            owner.setdefault(p.id, p)
            for alias in p.aliases:
                owner.setdefault(alias, p)


def load_hardware(extra_files: tuple[Path, ...] = (), use_user_dir: bool = True) -> HardwareDB:
    """Built-in profiles, then the user folder, then ``--hw-file`` files; later ones win."""
    layers = [builtin_profiles()]
    user = user_profile_dir()
    if use_user_dir and user.is_dir():
        layers.append(tuple(_profiles_in(user, None)))
    for path in extra_files:
        layers.append(tuple(load_profile_file(Path(path))))
    _check_alias_clashes(layers)
    profiles: dict[str, HardwareProfile] = {}
    for layer in layers:
        for p in layer:
            profiles[p.id] = p
    aliases: dict[str, str] = {}
    for p in profiles.values():
        for a in p.aliases:
            if a in profiles and a != p.id:
                continue  # a real id always wins over an alias
            aliases[a] = p.id
    return HardwareDB(profiles=profiles, aliases=aliases)
