"""System (node) profiles: the host around the accelerators.

A system profile is one YAML file under ``hwprofiles/systems/``: how many accelerators of which
hardware profile, the host CPUs (each a CPU hardware profile, whose TDP and its source come from
there), host memory, and the node's published maximum/idle power where a public source gives it.
Core module: it returns frozen dataclasses and raises :class:`WattprintError`; it never prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wattprint.citation import Source
from wattprint.datafiles import data_dir
from wattprint.errors import UnknownIdError, WattprintError
from wattprint.hardware import HardwareDB, load_hardware, lookup, sources_of
from wattprint.yamlio import format_validation_error, load_yaml

#: Figures that must be covered by a source's ``fields`` list when present.
SYSTEM_FIGURE_FIELDS = (
    "host_cpus",
    "host_memory_gb",
    "max_power_w",
    "idle_power_w",
    "psu_efficiency",
    "other_w",
)
SYSTEMS_SUBDIR = "systems"
_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SystemSourceSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str
    publisher: str
    year: int = Field(ge=1990, le=2030)
    url: str | None = None
    licence: str | None = None
    fields: list[str] = Field(default_factory=list, description="which figures this source supports (none: it names the system)")
    note: str | None = None

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in SYSTEM_FIGURE_FIELDS:
                raise ValueError(f"unknown figure {name!r}; expected one of {', '.join(SYSTEM_FIGURE_FIELDS)}")
        return value


class HostCpuSpec(_Strict):
    hardware: str = Field(pattern=_ID, description="a CPU hardware profile id")
    count: int = Field(ge=1, le=16)


class SystemSpec(_Strict):
    """The YAML schema of one system profile."""

    id: str = Field(pattern=_ID, description="lower-case kebab case")
    name: str
    vendor: str
    generic: bool = Field(default=False, description="a class of servers rather than one published system")
    aliases: list[str] = []
    accelerator: str | None = Field(default=None, pattern=_ID, description="hardware profile id; None = any card")
    accelerator_count: int | None = Field(default=None, ge=1, le=64)
    accelerator_interconnect: str | None = None
    host_cpus: list[HostCpuSpec] = []
    host_memory_gb: float | None = Field(default=None, gt=0)
    max_power_w: float | None = Field(default=None, gt=0, description="published maximum node power")
    idle_power_w: float | None = Field(default=None, gt=0, description="published idle node power")
    psu_efficiency: float | None = Field(default=None, gt=0, le=1)
    other_w: float | None = Field(default=None, ge=0, description="fixed fans/NICs/storage power, if sourced")
    notes: str | None = None
    sources: list[SystemSourceSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _sourced(self) -> SystemSpec:
        covered = {f for s in self.sources for f in s.fields}
        for name in SYSTEM_FIGURE_FIELDS:
            value = getattr(self, name)
            if value not in (None, []) and name not in covered:
                raise ValueError(f"figure {name!r} has no source: list it under a source's 'fields'")
        if self.idle_power_w is not None and self.max_power_w is not None and self.idle_power_w > self.max_power_w:
            raise ValueError("idle_power_w is above max_power_w")
        if not self.generic and self.accelerator is None:
            raise ValueError("a published system names its accelerator (or set generic: true)")
        return self


@dataclass(frozen=True)
class HostCpu:
    hardware: str
    model: str
    count: int
    #: package TDP of ONE CPU from its hardware profile; None when not published
    tdp_w: float | None
    tdp_source: Source | None = None


@dataclass(frozen=True)
class SystemProfile:
    id: str
    name: str
    vendor: str
    generic: bool
    #: hardware profile id of the accelerators; None for a generic class that takes any card
    accelerator: str | None
    accelerator_count: int | None
    accelerator_interconnect: str | None = None
    host_cpus: tuple[HostCpu, ...] = ()
    host_memory_gb: float | None = None
    max_power_w: float | None = None
    idle_power_w: float | None = None
    psu_efficiency: float | None = None
    other_w: float | None = None
    aliases: tuple[str, ...] = ()
    notes: str | None = None
    sources: tuple[Source, ...] = ()
    figure_sources: tuple[tuple[str, Source], ...] = ()
    origin: str = "built-in"

    def figure_source(self, figure: str) -> Source | None:
        return dict(self.figure_sources).get(figure)

    @property
    def host_cpu_tdp_w(self) -> float | None:
        """Sum of the host CPUs' TDPs; None when any CPU has no published TDP (or none is listed)."""
        if not self.host_cpus:
            return None
        total = 0.0
        for c in self.host_cpus:
            if c.tdp_w is None:
                return None
            total += c.tdp_w * c.count
        return total


def _to_system(spec: SystemSpec, hardware: HardwareDB, path: Path, origin: str) -> SystemProfile:
    sources, figure_sources = sources_of(spec.sources)
    if spec.accelerator is not None:
        acc = _resolve(hardware, spec.accelerator, path, "accelerator")
        if acc.kind == "cpu":
            raise WattprintError(f"{path}: field 'accelerator': {spec.accelerator!r} is a CPU profile; name an accelerator")
    cpus = []
    for index, cpu in enumerate(spec.host_cpus):
        prof = _resolve(hardware, cpu.hardware, path, f"host_cpus.{index}.hardware")
        if prof.kind != "cpu":
            raise WattprintError(
                f"{path}: field 'host_cpus.{index}.hardware': {cpu.hardware!r} is a {prof.kind} profile, not a CPU"
            )
        cpus.append(HostCpu(hardware=prof.id, model=prof.name, count=cpu.count, tdp_w=prof.tdp_w,
                            tdp_source=prof.figure_source("tdp_w") if prof.tdp_w is not None else None))
    return SystemProfile(
        id=spec.id,
        name=spec.name,
        vendor=spec.vendor,
        generic=spec.generic,
        accelerator=hardware.get(spec.accelerator).id if spec.accelerator else None,
        accelerator_count=spec.accelerator_count,
        accelerator_interconnect=spec.accelerator_interconnect,
        host_cpus=tuple(cpus),
        host_memory_gb=spec.host_memory_gb,
        max_power_w=spec.max_power_w,
        idle_power_w=spec.idle_power_w,
        psu_efficiency=spec.psu_efficiency,
        other_w=spec.other_w,
        aliases=tuple(a.lower() for a in spec.aliases),
        notes=spec.notes,
        sources=sources,
        figure_sources=tuple(figure_sources.items()),
        origin=origin,
    )


def _resolve(hardware: HardwareDB, key: str, path: Path, field: str):
    try:
        return hardware.get(key)
    except UnknownIdError as exc:
        hint = f"did you mean {', '.join(repr(s) for s in exc.suggestions)}?" if exc.suggestions else (
            "add a hardware profile with that id")
        raise WattprintError(f"{path}: field '{field}': unknown hardware profile {key!r}", hint=hint) from None


def load_system_file(path: Path, hardware: HardwareDB | None = None, origin: str | None = None) -> SystemProfile:
    """Load and check one system profile YAML file (one mapping)."""
    data = load_yaml(path, "system profile")
    if not isinstance(data, dict):
        raise WattprintError(f"{path}: expected a mapping of system fields, got {type(data).__name__}")
    try:
        spec = SystemSpec.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(path, exc) from None
    return _to_system(spec, hardware or load_hardware(use_user_dir=False), path, origin or str(path))


@dataclass(frozen=True)
class SystemDB:
    systems: dict[str, SystemProfile]
    aliases: dict[str, str]

    def get(self, key: str) -> SystemProfile:
        return lookup("system", key, self.systems, self.aliases)

    def list(self, accelerator: str | None = None) -> list[SystemProfile]:
        items = sorted(self.systems.values(), key=lambda s: (s.generic, s.vendor.lower(), s.id))
        return [s for s in items if accelerator is None or s.accelerator == accelerator]


def systems_dir() -> Path:
    return data_dir("hwprofiles") / SYSTEMS_SUBDIR


@cache
def builtin_systems() -> tuple[SystemProfile, ...]:
    hardware = load_hardware(use_user_dir=False)
    return tuple(load_system_file(p, hardware, "built-in") for p in sorted(systems_dir().glob("*.y*ml")))


def load_systems(extra_files: tuple[Path, ...] = (), hardware: HardwareDB | None = None) -> SystemDB:
    """Built-in system profiles, then ``extra_files`` (later ones win).

    ``hardware`` resolves the extra files' accelerator and CPU ids (default: the built-in profiles).
    """
    systems: dict[str, SystemProfile] = {s.id: s for s in builtin_systems()}
    for path in extra_files:
        s = load_system_file(Path(path), hardware)
        systems[s.id] = s
    aliases: dict[str, str] = {}
    for s in systems.values():
        for a in s.aliases:
            if a not in systems:
                aliases[a] = s.id
    return SystemDB(systems=systems, aliases=aliases)
