"""Plausible ranges of every numeric input, in one place (documented in docs/limits.md).

A bound is not a physical law: it is the edge past which an input is far more likely a typo, a unit
mistake or an attack than a real run. Each bound says why it sits where it does. Core modules and
the CLI call :func:`check` (or :func:`pydantic_check` inside a schema) so that an input outside its
range is one :class:`~wattprint.errors.WattprintError` naming where it came from, never a number.

File-size limits per kind of file are here too, with :func:`open_checked`, which refuses devices,
FIFOs, sockets and directories by kind before anything is read.
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wattprint.errors import WattprintError


@dataclass(frozen=True)
class Bound:
    low: float
    high: float
    unit: str
    why: str
    low_open: bool = False  # True: the value must be > low (not >=)
    integer: bool = False

    def describe(self) -> str:
        lo = f"> {self.low:g}" if self.low_open else f">= {self.low:g}"
        unit = f" {self.unit}" if self.unit else ""
        return f"{lo} and <= {self.high:g}{unit}"


#: name -> bound. The name is the spec / option field it applies to.
LIMITS: dict[str, Bound] = {
    # training runs
    "count": Bound(1, 1_000_000, "accelerators", "the largest published clusters hold ~100k-200k GPUs", integer=True),
    "hours": Bound(0, 1e7, "h", "Strubell et al. (2019) report a 274,120 h NAS run; 1e7 h leaves 36x headroom", low_open=True),
    "gpu_hours": Bound(0, 1e10, "device-h", "Llama 3 405B used 3.1e7 GPU-hours; 1e10 leaves 300x headroom", low_open=True),
    "params": Bound(0, 1e15, "parameters", "the largest models have ~1e12 parameters", low_open=True),
    "tokens": Bound(0, 1e16, "tokens", "the largest published runs train on ~1.5e13 tokens", low_open=True),
    "samples": Bound(0, 1e14, "samples", "above every public training set by orders of magnitude", low_open=True),
    "epochs": Bound(0, 1e6, "epochs", "small-data runs use thousands of epochs at most", low_open=True),
    "mfu": Bound(0, 1, "", "a fraction of peak", low_open=True),
    "utilization": Bound(0, 1, "", "a fraction of TDP", low_open=True),
    "power_w": Bound(0, 100_000, "W", "a wafer-scale system draws ~23 kW; one device never 100 kW", low_open=True),
    "pue": Bound(1, 5, "", "PUE is facility / IT energy, so >= 1; surveyed averages are 1.1-2.5"),
    "lifetime_years": Bound(0, 50, "years", "accelerators serve 3-7 years", low_open=True),
    "host_embodied_kg": Bound(0, 100_000, "kgCO2e", "a whole server is ~1-3 t CO2e"),
    "cpu_power_w": Bound(0, 100_000, "W", "a host draws ~0.2-3 kW"),
    "dram_power_w": Bound(0, 100_000, "W", "a host's DRAM draws tens to hundreds of W"),
    "memory_gb": Bound(0, 1e6, "GB", "the largest single hosts hold ~32 TB"),
    # grid
    "intensity_gco2e_per_kwh": Bound(0, 5000, "gCO2e/kWh", "coal plants emit ~1000; 5000 catches lb/MWh or kg units"),
    "window": Bound(0, 87_600, "h", "ten years of hourly data; 0 means start now"),
    # serving
    "inferences": Bound(0, 1e18, "inferences", "1e10 a day for 100 years is 3.7e14", low_open=True),
    "rate_per_day": Bound(0, 1e15, "inferences/day", "the busiest public services handle ~1e10 requests a day", low_open=True),
    "days": Bound(0, 36_500, "days", "a century of serving", low_open=True),
    "batch": Bound(1, 1_048_576, "samples", "2^20; serving batches are 1-1024", integer=True),
    "top": Bound(0, 1_000_000, "layers", "0 means all; no graph we cost has a million layers", integer=True),
    # hardware profile figures
    "tdp_w": Bound(0, 100_000, "W", "as power_w", low_open=True),
    "idle_w": Bound(0, 100_000, "W", "as power_w"),
    "typical_power_w": Bound(0, 100_000, "W", "as power_w", low_open=True),
    "peak_tflops": Bound(0, 1e6, "TFLOPS", "the fastest device is ~1e4 dense TFLOPS (fp8/int8)", low_open=True),
    "memory_bandwidth_gbps": Bound(0, 1e6, "GB/s", "HBM3e devices reach ~8e3 GB/s", low_open=True),
    "die_area_mm2": Bound(0, 100_000, "mm2", "a full wafer is ~46,000 mm2", low_open=True),
    "embodied_kgco2e": Bound(0, 100_000, "kgCO2e", "published device figures are 10-3000 kg", low_open=True),
}

#: Hugging Face config.json figures (wattprint.llm_config), by config field. Each sits far above the largest
#: published decoder; with these, a config is built and costed in seconds (10**9 layers would never finish).
_LAYERS_WHY = "the deepest published decoders have ~130 layers (Llama 3.1 405B: 126)"
_WIDTH_WHY = "the widest published MLPs are ~74k (PaLM 540B: 73,728)"
_HEADS_WHY = "published decoders have at most 128 attention heads (Llama 3.1 405B, DeepSeek-V3)"
_CONTEXT_WHY = "published contexts reach ~1e7 tokens (Llama 4 Scout); 2^31 is the largest graph dim"
CONFIG_LIMITS: dict[str, Bound] = {
    "num_hidden_layers": Bound(1, 1024, "layers", _LAYERS_WHY, integer=True),
    "hidden_size": Bound(1, 262_144, "", "the widest published decoders are 12k-26k (PaLM 540B: 18,432)", integer=True),
    "num_attention_heads": Bound(1, 4096, "heads", _HEADS_WHY, integer=True),
    "num_key_value_heads": Bound(1, 4096, "heads", _HEADS_WHY, integer=True),
    "head_dim": Bound(1, 8192, "", "published heads are 64-256 wide", integer=True),
    "intermediate_size": Bound(1, 1_048_576, "", _WIDTH_WHY, integer=True),
    "moe_intermediate_size": Bound(1, 1_048_576, "", _WIDTH_WHY, integer=True),
    "vocab_size": Bound(1, 4_194_304, "tokens", "the largest published vocabularies are ~262k (Gemma 3)", integer=True),
    "num_experts": Bound(1, 65_536, "experts", "published MoE decoders route over at most 384 experts (Kimi K2)",
                         integer=True),
    "num_experts_per_tok": Bound(1, 65_536, "experts", "at most num_experts", integer=True),
    "max_position_embeddings": Bound(1, 2**31, "tokens", _CONTEXT_WHY, integer=True),
    "sliding_window": Bound(1, 2**31, "tokens", _CONTEXT_WHY, integer=True),
    "max_window_layers": Bound(0, 1024, "layers", _LAYERS_WHY, integer=True),
    "sliding_window_pattern": Bound(1, 1024, "layers", _LAYERS_WHY, integer=True),
    "decoder_sparse_step": Bound(1, 1024, "layers", _LAYERS_WHY, integer=True),
    "mlp_only_layers": Bound(0, 1023, "", "layer indexes (0-based) below the layer limit", integer=True),
}
#: config.json keys read under another name (the GPT-2 family), mapped to the bound of the same figure
CONFIG_ALIASES = {
    "n_layer": "num_hidden_layers", "n_embd": "hidden_size", "n_head": "num_attention_heads",
    "n_inner": "intermediate_size", "n_positions": "max_position_embeddings", "num_local_experts": "num_experts",
    "experts_per_token": "num_experts_per_tok",
}

#: budget counts ('4.1G', '1e9'): the largest power of ten an exponent may write (a bigger one is a typo; an
#: unbounded one made '1e99999999' compute a 100-million-digit integer)
MAX_COUNT_EXPONENT = 30
#: digits of one integer literal in a YAML or JSON file: no input of wattprint needs more, every such integer
#: still converts to a float (which stops at ~1.8e308), and Python refuses to read more than 4,300 digits anyway
MAX_NUMBER_DIGITS = 300

#: graph bounds (wattprint.model)
MAX_DIM = 2**31  # one dim of one tensor
MAX_TENSOR_ELEMENTS = 2**40  # ~1.1e12 elements: 2.2 TB at fp16, above any device's memory
MIN_OPSET, MAX_OPSET = 1, 30  # default-domain opsets: onnx 1.17 defines 22; headroom for a few releases

#: file sizes by kind (bytes)
MAX_FILE_BYTES: dict[str, int] = {
    "training spec": 1 << 20,
    "budget file": 1 << 20,
    "hardware profile": 1 << 20,
    "baseline": 16 << 20,
    "config.json": 4 << 20,  # a Hugging Face config.json is a few KB
    "grid file": 2 << 30,  # streamed: a 10-year 5-minute series is ~100 MB
    "model": 16 << 30,  # weights may be inline; onnx itself stops at 2 GB protobufs
}
DEFAULT_MAX_FILE_BYTES = 1 << 20
#: nesting of YAML/JSON values (a baseline of 100k nested '[' is an attack, not a result)
MAX_NESTING = 64


def _fmt(value: Any) -> str:
    return repr(value) if not isinstance(value, float) else f"{value:g}"


def problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not a valid ``name`` (None when it is fine)."""
    b = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} is not a number" if not b.integer else f"{value!r} is not a whole number"
    if b.integer and not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
        return f"{_fmt(value)} is not a whole number"
    if not math.isfinite(value):
        return f"{_fmt(value)} is not a finite number"
    too_low = value <= b.low if b.low_open else value < b.low
    if too_low or value > b.high:
        return f"{_fmt(value)} is out of range: must be {b.describe()} ({b.why})"
    return None


def check(name: str, value: Any, where: str) -> Any:
    """Return ``value`` when inside the bound of ``name``; else raise naming ``where``."""
    msg = problem(name, value)
    if msg is not None:
        raise WattprintError(f"{where}: {msg}", hint="see docs/limits.md")
    return value


def reject_bool(value: Any) -> Any:
    """For a ``mode="before"`` validator on a numeric field: YAML's true/false is not 1/0."""
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is not a number")
    return value


def printable(value: Any) -> Any:
    """For a validator on a name that is printed (a run's or a budget target's): no control characters (an
    escape sequence would restyle the terminal; XML cannot hold most of them)."""
    if isinstance(value, str):
        bad = next((c for c in value if ord(c) < 32 or 127 <= ord(c) < 160), None)
        if bad is not None:
            raise ValueError(f"contains the control character U+{ord(bad):04X}; use printable text")
    return value


def pydantic_check(name: str, value: Any) -> Any:
    """For a pydantic ``field_validator``: a ValueError the schema turns into a located message."""
    if value is None:
        return value
    msg = problem(name, value)
    if msg is not None:
        raise ValueError(msg)
    return value


# ----------------------------------------------------------------------------- files


def check_file(path: str | os.PathLike, what: str) -> int:
    """Refuse what is not a regular file (by kind, before reading) or is too big; return its size."""
    p = os.fspath(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise WattprintError(f"{p}: {what} not found", hint="check the path") from None
    except OSError as exc:
        raise WattprintError(f"{p}: cannot read the {what} ({exc.strerror or exc})") from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise WattprintError(f"{p}: is a directory, expected a {what}")
    if not stat.S_ISREG(mode):
        kind = (
            "a FIFO" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
            else "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        )
        raise WattprintError(f"{p}: is {kind}, expected a {what} (a regular file)")
    limit = MAX_FILE_BYTES.get(what, DEFAULT_MAX_FILE_BYTES)
    if st.st_size > limit:
        raise WattprintError(
            f"{p}: {st.st_size:,} bytes is too big for a {what} (limit {limit:,} bytes)",
            hint="check that this is the right file; see docs/limits.md",
        )
    return st.st_size


def open_checked(path: str | os.PathLike, what: str, mode: str = "r"):
    """Open a file after :func:`check_file` (text mode: UTF-8, a BOM is skipped)."""
    check_file(path, what)
    try:
        if "b" in mode:
            return open(path, mode)  # noqa: SIM115
        return open(path, mode, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        raise WattprintError(f"{Path(path)}: cannot read the {what} ({exc.strerror or exc})") from None
