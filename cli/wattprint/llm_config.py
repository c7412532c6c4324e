"""A Hugging Face ``config.json`` -> an equivalent decoder ONNX graph, built in memory.

Pure core: no printing, no exiting; failures are :class:`~wattprint.errors.WattprintError`.

:func:`load_config` reads a ``config.json`` (a path, or the name of a config shipped in
``wattprint/data/llm-configs``) into a :class:`DecoderSpec`. :func:`build_decoder` turns a spec
into an ONNX ``ModelProto`` made of the ops an exporter would write (opset 23 ``RMSNormalization``,
``RotaryEmbedding`` and ``Attention``, ``MatMul``, ``Gather``...), with weights as shape-only
initializers, so :func:`wattprint.model.analyze_proto` costs it exactly as it costs an
exported graph. Attention is the fused opset-23 ``Attention`` op (the score matrix is never a
tensor); the KV cache enters as ``past_key.{i}`` / ``past_value.{i}`` inputs.

One graph describes one device of a tensor-parallel group of ``tp`` devices (heads, KV heads,
MLP width and vocabulary split ``tp`` ways, as Megatron-style serving engines do). A mixture of
experts layer is built for a given number of tokens ``T``: each token runs ``top_k`` experts
(compute), and the weights of ``experts_touched`` distinct experts are read (memory).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from wattprint.errors import WattprintError

#: model_type values this module builds a graph for
SUPPORTED = ("llama", "mistral", "qwen2", "qwen3", "qwen3_moe", "mixtral", "gemma", "gemma2", "gemma3",
             "gemma3_text", "phi3", "gpt2", "gpt_neox", "gpt_oss")
#: precision name -> ONNX TensorProto data type (the dtype every float tensor of the built graph gets)
DTYPE = {"fp32": 1, "fp16": 10, "bf16": 16, "fp8": 17, "int8": 3, "fp4": 23}
DTYPE_BITS = {"fp32": 32, "fp16": 16, "bf16": 16, "fp8": 8, "int8": 8, "fp4": 4}
_TORCH_DTYPE = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32", "half": "fp16", "float": "fp32"}
#: symbolic dims of the built graph
BATCH, SEQ, PAST, PAST_LOCAL = "batch_size", "sequence_length", "past_sequence_length", "past_local_length"


@dataclass(frozen=True)
class DecoderSpec:
    """The architecture figures of a decoder, as read from its config.json."""

    name: str
    model_type: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied: bool
    gated_mlp: bool  # SwiGLU/GeGLU (3 matrices) or a plain 2-matrix MLP
    norm: str  # "rms" | "layer"
    qkv_bias: bool
    out_bias: bool
    mlp_bias: bool
    qk_norm: bool
    learned_positions: int  # rows of a learned position table (gpt2), else 0
    extra_norms: int  # norms per layer beyond the two pre-norms (gemma2/3 post-norms)
    #: per layer: (attention "full"|"sliding", mlp "dense"|"moe")
    layer_kinds: tuple[tuple[str, str], ...]
    sliding_window: int | None
    experts: int = 0
    top_k: int = 0
    expert_intermediate: int = 0
    dtype: str = "bf16"  # the checkpoint's dtype (torch_dtype)
    expert_dtype: str | None = None  # mxfp4 checkpoints: experts stored at 4 bits
    max_positions: int | None = None
    source: str = ""  # where the figures come from
    notes: tuple[str, ...] = ()

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    def attention_params(self) -> int:
        q = self.hidden * self.heads * self.head_dim
        kv = 2 * self.hidden * self.kv_heads * self.head_dim
        o = self.heads * self.head_dim * self.hidden
        bias = (self.heads + 2 * self.kv_heads) * self.head_dim if self.qkv_bias else 0
        bias += self.hidden if self.out_bias else 0
        qk = 2 * self.head_dim if self.qk_norm else 0
        return q + kv + o + bias + qk

    def mlp_params(self, width: int) -> int:
        mats = (3 if self.gated_mlp else 2) * self.hidden * width
        bias = ((2 * width if self.gated_mlp else width) + self.hidden) if self.mlp_bias else 0
        return mats + bias

    def norm_params(self) -> int:
        return self.hidden * (2 if self.norm == "layer" else 1)

    def layer_params(self, mlp: str) -> tuple[int, int]:
        """(total, active per token) parameters of one layer."""
        base = self.attention_params() + (2 + self.extra_norms) * self.norm_params()
        if mlp == "moe":
            one = self.mlp_params(self.expert_intermediate)
            router = self.hidden * self.experts + (self.experts if self.model_type == "gpt_oss" else 0)
            return base + router + self.experts * one, base + router + self.top_k * one
        dense = self.mlp_params(self.intermediate)
        return base + dense, base + dense

    def params(self) -> tuple[int, int]:
        """(total, active per token) parameters, tied embeddings counted once."""
        embed = self.vocab * self.hidden + self.learned_positions * self.hidden
        head = 0 if self.tied else self.vocab * self.hidden
        total = active = embed + head + self.norm_params()
        for _, mlp in self.layer_kinds:
            t, a = self.layer_params(mlp)
            total += t
            active += a
        return total, active

    def expert_params(self) -> int:
        return sum(self.experts * self.mlp_params(self.expert_intermediate) for _, m in self.layer_kinds if m == "moe")

    def weight_bytes(self, precision: str | None = None) -> int:
        """Bytes of all weights at ``precision`` (default: the checkpoint's dtypes)."""
        total, _ = self.params()
        if precision is not None:
            return total * DTYPE_BITS[precision] // 8
        expert = self.expert_params() if self.expert_dtype else 0
        bits = DTYPE_BITS[self.dtype]
        return ((total - expert) * bits + expert * DTYPE_BITS[self.expert_dtype or self.dtype]) // 8

    def kv_bytes_per_sequence(self, length: int, kv_precision: str, tp: int = 1) -> int:
        """KV-cache bytes of one sequence of ``length`` tokens on one of ``tp`` devices."""
        kvh = kv_heads_per_device(self, tp)
        per_token = 2 * kvh * self.head_dim * DTYPE_BITS[kv_precision] // 8
        total = 0
        for attn, _ in self.layer_kinds:
            n = min(length, self.sliding_window) if attn == "sliding" and self.sliding_window else length
            total += n * per_token
        return total


# ----------------------------------------------------------------------------- reading config.json


def configs_dir() -> Path:
    return Path(__file__).resolve().parent / "data" / "llm-configs"


@cache
def shipped_configs() -> dict[str, dict[str, Any]]:
    """Name -> {"path", "repo", "title", ...} of the configs shipped with wattprint (index.json)."""
    index = json.loads((configs_dir() / "index.json").read_text())
    return {entry["name"]: entry for entry in index["configs"]}


def find_shipped(name: str) -> Path | None:
    """The shipped config called ``name`` (case-insensitive; the HF repo id also works), or None."""
    key = name.strip().lower()
    for entry_name, entry in shipped_configs().items():
        names = [entry_name, entry["repo"], entry["repo"].split("/")[-1], *entry.get("aliases", ())]
        if key in (n.lower() for n in names):
            return configs_dir() / entry["file"]
    return None


def load_config(source: str | os.PathLike, label: str | None = None) -> DecoderSpec:
    """Read a config.json (or a shipped config by name) into a :class:`DecoderSpec`.

    The file is checked by kind (a FIFO or a device is refused before anything is read) and size (a
    config.json is a few KB: :data:`wattprint.limits.MAX_FILE_BYTES`), like every other input file.
    """
    from wattprint.yamlio import load_json

    if not str(source).strip():
        raise WattprintError("the model path is empty", hint="pass a config.json, a folder holding one, or a "
                                                             "built-in config name (see 'wattprint llm-configs')")
    path = Path(source)
    label = label or str(source)
    shipped = None
    if not path.exists():
        shipped = find_shipped(str(source))
        if shipped is None:
            names = ", ".join(shipped_configs())
            raise WattprintError(f"{label}: no such file, and not a built-in LLM config", hint=f"built-in: {names}")
        path = shipped
    if path.is_dir():
        path = path / "config.json"
        if not path.exists():  # (one that is not a regular file is refused by kind below)
            raise WattprintError(f"{label}: a folder without config.json", hint="pass the config.json file")
    raw = load_json(path, "config.json")
    if not isinstance(raw, dict):
        raise WattprintError(f"{label}: a config.json holds a JSON object")
    source_note = ""
    if shipped is not None:
        entry = next(e for e in shipped_configs().values() if configs_dir() / e["file"] == shipped)
        source_note = entry["source"]
        label = entry["name"]
    return spec_from_dict(raw, label, source=source_note or f"config.json: {path.name}")


# Every figure of a config.json is read through one of the accessors below: typed (a boolean is not a
# number, a string is not a boolean), range-checked against wattprint.limits.CONFIG_LIMITS, and an error
# names the file, the field and the value.


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bad(label: str, key: str, value: Any, problem: str, hint: str | None = None) -> WattprintError:
    return WattprintError(f"{label}: config.json field {key!r} = {_show(value)} {problem}", hint=hint)


def _find(cfg: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, Any]:
    """(key, value) of the first of ``keys`` set to a non-null value; (``keys[0]``, None) when none is."""
    for k in keys:
        if cfg.get(k) is not None:
            return k, cfg[k]
    return keys[0], None


def _bound(key: str) -> Any:
    from wattprint.limits import CONFIG_ALIASES, CONFIG_LIMITS

    return CONFIG_LIMITS.get(CONFIG_ALIASES.get(key, key))


def _check_int(label: str, key: str, v: Any, low: int | None = None, what: str = "") -> int:
    """``v`` (config field ``key``) as a whole number inside its bound (``low`` overrides the bound's low)."""
    b = _bound(key)
    lo = low if low is not None else (int(b.low) if b is not None else 1)
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad(label, f"{key}{what}", v, f"must be a whole number >= {lo}")
    if v < lo:
        raise _bad(label, f"{key}{what}", v, f"must be a whole number >= {lo}")
    if b is not None and v > b.high:
        unit = f" {b.unit}" if b.unit else ""
        raise _bad(label, f"{key}{what}", v, f"is above the limit of {int(b.high):,}{unit} ({b.why})",
                   hint="check the file; see docs/limits.md")
    return v


def _int(cfg: Mapping[str, Any], label: str, *keys: str, default: int | None = None, low: int | None = None) -> int:
    """A whole-number field (the first of ``keys`` present); ``default`` when absent, else an error."""
    key, v = _find(cfg, keys)
    if v is None:
        if default is None:
            raise WattprintError(f"{label}: config.json has no {keys[0]!r}", hint="is this a decoder model's config.json?")
        return default
    return _check_int(label, key, v, low)


def _opt_int(cfg: Mapping[str, Any], label: str, *keys: str) -> int | None:
    """A whole-number field that may be absent or null (None)."""
    key, v = _find(cfg, keys)
    return None if v is None else _check_int(label, key, v)


def _bool(cfg: Mapping[str, Any], label: str, key: str, default: bool) -> bool:
    v = cfg.get(key)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise _bad(label, key, v, "must be true or false")
    return v


def _int_list(cfg: Mapping[str, Any], label: str, key: str) -> list[int]:
    """A list of whole numbers (absent or null: empty)."""
    v = cfg.get(key)
    if v is None:
        return []
    if not isinstance(v, list):
        raise _bad(label, key, v, "must be a list of layer indexes")
    return [_check_int(label, key, x, what=f"[{i}]") for i, x in enumerate(v)]


def _object(cfg: Mapping[str, Any], label: str, key: str) -> Mapping[str, Any]:
    v = cfg.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise _bad(label, key, v, "must be an object")
    return v


def _dtype(cfg: Mapping[str, Any], label: str, default: str) -> tuple[str, bool]:
    """(precision, whether the config names it) from ``torch_dtype`` (or ``dtype``, newer transformers).

    transformers accepts any torch dtype name; wattprint costs the ones in :data:`_TORCH_DTYPE` and refuses
    the others by name (an fp64 or int4 checkpoint costed as bf16 would be a silently wrong number).
    """
    key, v = _find(cfg, ("torch_dtype", "dtype"))
    if v is None:
        return _TORCH_DTYPE[default], False
    name = v.removeprefix("torch.") if isinstance(v, str) else None
    if name not in _TORCH_DTYPE:
        raise _bad(label, key, v, "is not a dtype wattprint costs",
                   hint=f"supported: {', '.join(_TORCH_DTYPE)}; or remove it and pass --precision")
    return _TORCH_DTYPE[name], True


def _layer_types(cfg: Mapping[str, Any], label: str, n: int) -> list[str] | None:
    """Per layer "full" | "sliding" from ``layer_types`` (None when absent)."""
    v = cfg.get("layer_types")
    if v is None:
        return None
    if not isinstance(v, list) or len(v) != n:
        got = f"{len(v)} entries" if isinstance(v, list) else "not a list"
        raise _bad(label, "layer_types", v, f"must list one type per layer ({n} for num_hidden_layers {n}; {got})")
    kinds = []
    for i, t in enumerate(v):
        if t not in ("full_attention", "sliding_attention"):
            raise _bad(label, f"layer_types[{i}]", t, "must be 'full_attention' or 'sliding_attention'")
        kinds.append("sliding" if t == "sliding_attention" else "full")
    return kinds


def spec_from_dict(cfg: Mapping[str, Any], label: str, source: str = "") -> DecoderSpec:
    """Interpret the figures of a config.json dict (see ``SUPPORTED`` for the families)."""
    mt = cfg.get("model_type")
    if mt in ("gemma3", "llava", "mistral3") and cfg.get("text_config") is not None:
        inner = dict(_object(cfg, label, "text_config"))
        inner.setdefault("model_type", "gemma3_text" if mt == "gemma3" else inner.get("model_type"))
        cfg, mt = inner, inner.get("model_type")
    if not isinstance(mt, str) or mt not in SUPPORTED:
        raise WattprintError(
            f"{label}: model_type {_show(mt)} is not supported", hint=f"supported: {', '.join(SUPPORTED)}"
        )
    notes: list[str] = []

    if mt == "gpt2":
        hidden = _int(cfg, label, "n_embd", "hidden_size")
        heads = _int(cfg, label, "n_head", "num_attention_heads")
        if hidden % heads:
            hkey, _ = _find(cfg, ("n_embd", "hidden_size"))
            nkey, _ = _find(cfg, ("n_head", "num_attention_heads"))
            raise WattprintError(f"{label}: config.json {hkey} {hidden} is not divisible by {nkey} {heads}",
                                 hint=f"GPT-2 splits {hkey} evenly over the heads: check both fields")
        n = _int(cfg, label, "n_layer", "num_hidden_layers")
        n_inner = _opt_int(cfg, label, "n_inner")
        positions = _opt_int(cfg, label, "n_positions", "max_position_embeddings")
        dtype, _ = _dtype(cfg, label, "float32")
        return DecoderSpec(
            name=label, model_type=mt, hidden=hidden, layers=n, heads=heads, kv_heads=heads,
            head_dim=hidden // heads, intermediate=4 * hidden if n_inner is None else n_inner,
            vocab=_int(cfg, label, "vocab_size"), tied=_bool(cfg, label, "tie_word_embeddings", True),
            gated_mlp=False, norm="layer", qkv_bias=True, out_bias=True, mlp_bias=True, qk_norm=False,
            learned_positions=1024 if positions is None else positions,
            extra_norms=0, layer_kinds=(("full", "dense"),) * n, sliding_window=None,
            dtype=dtype, max_positions=_opt_int(cfg, label, "n_positions"), source=source,
        )

    # transformers loads a checkpoint without a dtype in fp32; gpt-oss keeps its non-expert weights in bf16
    dtype, named = _dtype(cfg, label, "bfloat16" if mt == "gpt_oss" else "float32")
    if not named:
        notes.append(f"config.json names no torch_dtype: {dtype} assumed (pass --precision)")
    hidden = _int(cfg, label, "hidden_size")
    heads = _int(cfg, label, "num_attention_heads")
    n = _int(cfg, label, "num_hidden_layers")
    kv_heads = _int(cfg, label, "num_key_value_heads", default=heads)
    if cfg.get("head_dim") is None and hidden < heads:
        raise WattprintError(
            f"{label}: config.json hidden_size {hidden} / num_attention_heads {heads} gives a head size of 0",
            hint="check hidden_size and num_attention_heads, or set head_dim",
        )
    head_dim = _int(cfg, label, "head_dim", default=hidden // heads)
    vocab = _int(cfg, label, "vocab_size")
    if heads % kv_heads:
        raise WattprintError(f"{label}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv_heads}")
    tied = _bool(cfg, label, "tie_word_embeddings", mt.startswith("gemma"))
    window = _opt_int(cfg, label, "sliding_window")
    max_positions = _opt_int(cfg, label, "max_position_embeddings")
    experts = top_k = expert_inter = 0
    expert_dtype = None
    intermediate = _int(cfg, label, "intermediate_size", default=4 * hidden)
    mlp_kind = ["dense"] * n
    attn_kind = ["full"] * n
    qkv_bias = out_bias = mlp_bias = False
    qk_norm = False
    extra_norms = 0
    gated = True
    norm = "rms"

    if mt in ("qwen2",):
        qkv_bias = True
    if mt in ("qwen3", "qwen3_moe", "gemma3", "gemma3_text"):
        qk_norm = True
    if mt in ("llama", "mistral", "mixtral", "qwen3", "qwen3_moe"):
        qkv_bias = _bool(cfg, label, "attention_bias", False)
        out_bias = mt == "llama" and qkv_bias
        mlp_bias = _bool(cfg, label, "mlp_bias", False)
    if mt in ("gemma2", "gemma3", "gemma3_text"):
        extra_norms = 2  # post-attention and post-feedforward norms
    if mt == "gpt_neox":
        gated, norm = False, "layer"
        qkv_bias = out_bias = mlp_bias = True
    if mt in ("qwen2", "qwen3", "qwen3_moe"):
        if not _bool(cfg, label, "use_sliding_window", False):
            window = None
        else:
            first_full = _int(cfg, label, "max_window_layers", default=n)
            attn_kind = ["sliding" if i >= first_full else "full" for i in range(n)]
    if mt in ("mistral", "mixtral", "phi3") and window is not None:
        attn_kind = ["sliding"] * n
    if mt == "gemma2" and window:
        attn_kind = ["sliding" if i % 2 == 0 else "full" for i in range(n)]
    if mt in ("gemma3", "gemma3_text") and window:
        pattern = _int(cfg, label, "sliding_window_pattern", default=6)
        attn_kind = ["full" if (i + 1) % pattern == 0 else "sliding" for i in range(n)]
    if mt == "gpt_oss":
        qkv_bias = out_bias = mlp_bias = True
    types = _layer_types(cfg, label, n)
    if types is not None:
        attn_kind = types
    if "sliding" in attn_kind and window is None:
        raise WattprintError(
            f"{label}: config.json has sliding-window layers but no 'sliding_window'",
            hint="add the window (tokens) as sliding_window, as the model's published config.json has it",
        )
    if all(a == "full" for a in attn_kind):
        window = None

    if mt == "mixtral" or mt == "gpt_oss":
        experts = _int(cfg, label, "num_local_experts", "num_experts")
        top_k = _int(cfg, label, "num_experts_per_tok", "experts_per_token")
        expert_inter = intermediate
        mlp_kind = ["moe"] * n
    if mt == "qwen3_moe":
        experts = _int(cfg, label, "num_experts")
        top_k = _int(cfg, label, "num_experts_per_tok")
        expert_inter = _int(cfg, label, "moe_intermediate_size")
        step = _int(cfg, label, "decoder_sparse_step", default=1)
        dense_only = set(_int_list(cfg, label, "mlp_only_layers"))
        mlp_kind = ["moe" if (i not in dense_only and (i + 1) % step == 0) else "dense" for i in range(n)]
    if experts and top_k > experts:
        raise WattprintError(f"{label}: num_experts_per_tok {top_k} exceeds the {experts} experts")
    quant = _object(cfg, label, "quantization_config")
    if quant.get("quant_method") == "mxfp4" and experts:
        expert_dtype = "fp4"
        notes.append("experts stored as MXFP4 (4-bit values; the shared 8-bit scale per 32 values is not counted)")
    if mt == "gpt_oss":
        notes.append("attention sinks (one learned logit per head) are not counted")
    return DecoderSpec(
        name=label, model_type=mt, hidden=hidden, layers=n, heads=heads, kv_heads=kv_heads, head_dim=head_dim,
        intermediate=intermediate, vocab=vocab, tied=tied, gated_mlp=gated, norm=norm, qkv_bias=qkv_bias,
        out_bias=out_bias, mlp_bias=mlp_bias, qk_norm=qk_norm, learned_positions=0, extra_norms=extra_norms,
        layer_kinds=tuple(zip(attn_kind, mlp_kind)), sliding_window=window, experts=experts, top_k=top_k,
        expert_intermediate=expert_inter, dtype=dtype, expert_dtype=expert_dtype,
        max_positions=max_positions, source=source, notes=tuple(notes),
    )


# ----------------------------------------------------------------------------- tensor parallel shards


def kv_heads_per_device(spec: DecoderSpec, tp: int) -> int:
    """KV heads held by one of ``tp`` devices (replicated when there are fewer KV heads than devices)."""
    return max(1, spec.kv_heads // tp)


def _divisors(n: int) -> list[int]:
    """The divisors of ``n`` >= 1, ascending, by trial division up to sqrt(n): 64 steps for the 4096 heads
    the config limits allow. Past 2^32 (a spec built by hand) the trial stops at 2^16: the divisors below
    it and their cofactors, a cheap subset for a hint."""
    low, high = [], []
    for d in range(1, min(math.isqrt(n), 1 << 16) + 1):
        if n % d == 0:
            low.append(d)
            if d * d != n:
                high.append(n // d)
    return low + high[::-1]


def tp_choices(heads: int, kv_heads: int, count: int = 8) -> list[int]:
    """The ``count`` smallest device counts the heads split over: each divides the heads, and either divides
    the KV heads or (fewer KV heads than devices: replicated) is a multiple of them. Those are the divisors
    of gcd(heads, kv_heads), then kv_heads times each divisor > 1 of heads / kv_heads."""
    ok = _divisors(math.gcd(heads, kv_heads))
    if heads % kv_heads == 0 and len(ok) < count:
        ok += [kv_heads * e for e in _divisors(heads // kv_heads)[1:]]
    return ok[:count]


def check_tp(spec: DecoderSpec, tp: int) -> None:
    if tp < 1:
        raise WattprintError(f"devices {tp} must be >= 1")
    if spec.heads % tp or (spec.kv_heads >= tp and spec.kv_heads % tp) or (spec.kv_heads < tp and tp % spec.kv_heads):
        ok = tp_choices(spec.heads, spec.kv_heads)
        raise WattprintError(
            f"{spec.name}: {spec.heads} attention heads ({spec.kv_heads} KV heads) cannot be split over {tp} devices",
            hint=f"use one of {', '.join(str(d) for d in ok)}",
        )


def expected_experts(experts: int, top_k: int, tokens: int) -> float:
    """Expected number of distinct experts that ``tokens`` tokens, each routed to ``top_k`` of
    ``experts`` experts uniformly at random, touch: E * (1 - (1 - k/E)^T)."""
    if experts <= 0:
        return 0.0
    return experts * (1.0 - (1.0 - top_k / experts) ** tokens)


# ----------------------------------------------------------------------------- graph building


@dataclass
class _G:
    dtype: int
    nodes: list = field(default_factory=list)
    inits: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    consts: dict = field(default_factory=dict)

    def weight(self, name: str, shape: tuple[int, ...], dtype: int | None = None) -> str:
        import onnx

        t = onnx.TensorProto()
        t.name = name
        t.data_type = self.dtype if dtype is None else dtype
        t.dims.extend(int(d) for d in shape)
        self.inits.append(t)
        return name

    def ints(self, values: list[int]) -> str:
        """A small int64 constant (shapes, axes, indices), shared by value."""
        import numpy as np
        from onnx import numpy_helper

        key = tuple(values)
        if key not in self.consts:
            name = f"const_{len(self.consts)}"
            self.inits.append(numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
            self.consts[key] = name
        return self.consts[key]

    def node(self, op: str, inputs: list[str], name: str, n_out: int = 1, **attrs: Any) -> str:
        """Add a node; its (first) output's name. ``n_out`` > 1 names the outputs ``NAME/out0``, ``NAME/out1``..."""
        from onnx import helper

        outs = [f"{name}/out{i}" if n_out > 1 else f"{name}/out" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0]


def build_decoder(
    spec: DecoderSpec,
    *,
    tp: int = 1,
    precision: str | None = None,
    kv_precision: str | None = None,
    moe_tokens: int | None = None,
    experts_touched: int | None = None,
    with_cache: bool = True,
    last_token_logits: bool = True,
    layers: tuple[int, ...] | None = None,
) -> Any:
    """The decoder as an ONNX ModelProto (one device of ``tp``), weights as shape-only initializers.

    Inputs: ``input_ids [batch_size, sequence_length]`` and, with ``with_cache``, per layer
    ``past_key.{i}`` / ``past_value.{i}`` of shape ``[batch_size, kv_heads, past, head_dim]``
    (``past`` is ``past_local_length`` for sliding-window layers). ``precision`` sets every float
    tensor (default: the checkpoint's dtype, MXFP4 experts at 4 bits); ``kv_precision`` the cache.
    MoE layers need ``moe_tokens`` (batch x sequence, the tokens routed in one call) and
    ``experts_touched`` (distinct experts whose weights are read). ``layers`` restricts the graph
    to those layer indexes (the caller replicates identical layers).
    """
    import onnx
    from onnx import helper

    check_tp(spec, tp)
    p = precision or spec.dtype
    dt = DTYPE[p]
    kv_dt = DTYPE[kv_precision or p]
    expert_dt = DTYPE[spec.expert_dtype] if (spec.expert_dtype and precision is None) else dt
    g = _G(dt)
    H, hd = spec.hidden, spec.head_dim
    qh = spec.heads // tp
    kvh = kv_heads_per_device(spec, tp)
    inter = math.ceil(spec.intermediate / tp)
    e_inter = math.ceil(spec.expert_intermediate / tp) if spec.experts else 0
    vocab = math.ceil(spec.vocab / tp)
    g.inputs.append(helper.make_tensor_value_info("input_ids", onnx.TensorProto.INT64, [BATCH, SEQ]))
    if spec.norm == "rms":
        def norm(x: str, name: str, width: int = H) -> str:
            return g.node("RMSNormalization", [x, g.weight(f"{name}.weight", (width,))], name, axis=-1)
    else:
        def norm(x: str, name: str, width: int = H) -> str:
            return g.node("LayerNormalization", [x, g.weight(f"{name}.weight", (width,)),
                                                 g.weight(f"{name}.bias", (width,))], name, axis=-1)

    def linear(x: str, name: str, k: int, n: int, bias: bool, dtype: int | None = None) -> str:
        y = g.node("MatMul", [x, g.weight(f"{name}.weight", (k, n), dtype)], name)
        if bias:
            y = g.node("Add", [y, g.weight(f"{name}.bias", (n,))], f"{name}.bias_add")
        return y

    def act(gate: str, up: str | None, name: str) -> str:
        if spec.model_type.startswith("gemma") or spec.model_type in ("gpt2", "gpt_neox"):
            a = g.node("Gelu", [gate], f"{name}.act")
        else:
            a = g.node("Mul", [gate, g.node("Sigmoid", [gate], f"{name}.sigmoid")], f"{name}.act")
        return g.node("Mul", [a, up], f"{name}.gate_mul") if up is not None else a

    embed = g.weight("model.embed_tokens.weight", (vocab, H))
    x = g.node("Gather", [embed, "input_ids"], "model.embed_tokens")
    if spec.learned_positions:
        g.inputs.append(helper.make_tensor_value_info("position_ids", onnx.TensorProto.INT64, [BATCH, SEQ]))
        pos = g.node("Gather", [g.weight("model.wpe.weight", (spec.learned_positions, H)), "position_ids"], "model.wpe")
        x = g.node("Add", [x, pos], "model.embed_add")
    rotary = spec.model_type not in ("gpt2",)
    if rotary:  # cos/sin of the positions, once per pass (as the exported graphs compute them): not learned
        g.inputs.append(helper.make_tensor_value_info("position_ids", onnx.TensorProto.INT64, [BATCH, SEQ]))
        pos = g.node("Unsqueeze", [g.node("Cast", ["position_ids"], "model.rotary.positions", to=dt), g.ints([2])],
                     "model.rotary.positions_col")
        freqs = g.node("Mul", [pos, g.weight("model.rotary.inv_freq", (hd // 2,))], "model.rotary.freqs")
        cos = g.node("Cos", [freqs], "model.rotary.cos")
        sin = g.node("Sin", [freqs], "model.rotary.sin")
    which = range(spec.layers) if layers is None else layers
    for i in which:
        attn_kind, mlp_kind = spec.layer_kinds[i]
        pre = f"model.layers.{i}"
        h = norm(x, f"{pre}.input_layernorm")
        q = linear(h, f"{pre}.self_attn.q_proj", H, qh * hd, spec.qkv_bias)
        k = linear(h, f"{pre}.self_attn.k_proj", H, kvh * hd, spec.qkv_bias)
        v = linear(h, f"{pre}.self_attn.v_proj", H, kvh * hd, spec.qkv_bias)
        if spec.qk_norm:
            q4 = g.node("Reshape", [q, g.ints([0, 0, qh, hd])], f"{pre}.self_attn.q_split")
            k4 = g.node("Reshape", [k, g.ints([0, 0, kvh, hd])], f"{pre}.self_attn.k_split")
            q4 = norm(q4, f"{pre}.self_attn.q_norm", hd)
            k4 = norm(k4, f"{pre}.self_attn.k_norm", hd)
            q = g.node("Reshape", [q4, g.ints([0, 0, qh * hd])], f"{pre}.self_attn.q_merge")
            k = g.node("Reshape", [k4, g.ints([0, 0, kvh * hd])], f"{pre}.self_attn.k_merge")
        if rotary:
            q = g.node("RotaryEmbedding", [q, cos, sin], f"{pre}.self_attn.q_rotary", num_heads=qh)
            k = g.node("RotaryEmbedding", [k, cos, sin], f"{pre}.self_attn.k_rotary", num_heads=kvh)
        ins = [q, k, v, ""]
        if with_cache:
            past = PAST_LOCAL if attn_kind == "sliding" else PAST
            for kind in ("key", "value"):
                name = f"past_{kind}.{i}"
                g.inputs.append(helper.make_tensor_value_info(name, kv_dt, [BATCH, kvh, past, hd]))
                ins.append(name)
        a = g.node("Attention", ins, f"{pre}.self_attn.attention", q_num_heads=qh, kv_num_heads=kvh, is_causal=1)
        a = linear(a, f"{pre}.self_attn.o_proj", qh * hd, H, spec.out_bias)
        if spec.extra_norms:
            a = norm(a, f"{pre}.post_attention_layernorm")
        if spec.model_type == "gpt_neox":  # parallel residual: attention and MLP both read x
            h2 = norm(x, f"{pre}.post_attention_layernorm")
        else:
            x = g.node("Add", [x, a], f"{pre}.attn_residual")
            h2 = norm(x, f"{pre}.pre_feedforward_layernorm" if spec.extra_norms else f"{pre}.post_attention_layernorm")
        if mlp_kind == "moe":
            m = _moe(g, spec, h2, pre, e_inter, moe_tokens, experts_touched, expert_dt, act)
        elif spec.gated_mlp:
            gate = linear(h2, f"{pre}.mlp.gate_proj", H, inter, spec.mlp_bias)
            up = linear(h2, f"{pre}.mlp.up_proj", H, inter, spec.mlp_bias)
            m = linear(act(gate, up, f"{pre}.mlp"), f"{pre}.mlp.down_proj", inter, H, spec.mlp_bias)
        else:
            up = linear(h2, f"{pre}.mlp.fc_in", H, inter, spec.mlp_bias)
            m = linear(act(up, None, f"{pre}.mlp"), f"{pre}.mlp.fc_out", inter, H, spec.mlp_bias)
        if spec.extra_norms:
            m = norm(m, f"{pre}.post_feedforward_layernorm")
        if spec.model_type == "gpt_neox":
            x = g.node("Add", [g.node("Add", [x, a], f"{pre}.attn_residual"), m], f"{pre}.mlp_residual")
        else:
            x = g.node("Add", [x, m], f"{pre}.mlp_residual")
    x = norm(x, "model.norm")
    if last_token_logits:
        x = g.node("Slice", [x, g.ints([-1]), g.ints([2**62]), g.ints([1])], "model.last_position")
    if spec.tied:
        flat = g.node("Reshape", [x, g.ints([-1, H])], "lm_head.flatten")
        logits = g.node("Gemm", [flat, embed], "lm_head", transB=1)
    else:
        logits = g.node("MatMul", [x, g.weight("lm_head.weight", (H, vocab))], "lm_head")
    graph = helper.make_graph(
        g.nodes, f"{spec.name} decoder (device 1 of {tp})", g.inputs,
        [helper.make_tensor_value_info(logits, dt, None)], g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)], producer_name="wattprint llm_config")
    model.ir_version = 10
    helper.set_model_props(model, {"tie_word_embeddings": "true" if spec.tied else "false", "model_type": spec.model_type})
    return model


def _moe(g: _G, spec: DecoderSpec, h: str, pre: str, e_inter: int, tokens: int | None, touched: int | None,
         expert_dt: int, act) -> str:
    """Router, then the routed tokens as batched matmuls over the experts whose weights are read.

    ``tokens * top_k`` token-expert pairs split over ``touched`` experts: ``r`` experts run ``q + 1``
    tokens and the others ``q`` (``tokens * top_k = q * touched + r``), so the MACs are exactly
    ``tokens * top_k`` expert MLPs and the weight reads exactly ``touched`` experts.
    """
    if tokens is None or touched is None:
        raise ValueError("a MoE layer needs moe_tokens and experts_touched")
    H, k = spec.hidden, spec.top_k
    touched = max(1, min(spec.experts, touched, tokens * k))
    router = g.node("MatMul", [h, g.weight(f"{pre}.mlp.router.weight", (H, spec.experts))], f"{pre}.mlp.router")
    if spec.model_type == "gpt_oss":
        router = g.node("Add", [router, g.weight(f"{pre}.mlp.router.bias", (spec.experts,))], f"{pre}.mlp.router_bias")
    g.node("TopK", [router, g.ints([k])], f"{pre}.mlp.router_topk", n_out=2, axis=-1)
    pairs = tokens * k
    # each token copied to its k experts (the permute of a fused MoE kernel), then cut per expert group
    copies = g.node("Expand", [g.node("Reshape", [h, g.ints([-1, 1, H])], f"{pre}.mlp.flatten"),
                               g.ints([tokens, k, H])], f"{pre}.mlp.dispatch")
    flat = g.node("Reshape", [copies, g.ints([pairs, H])], f"{pre}.mlp.dispatch_flat")
    q, r = divmod(pairs, touched)
    groups = [(n, m) for n, m in ((r, q + 1), (touched - r, q)) if n and m]

    def mm(name: str, n: int, x: str, proj: str, k: int, width: int) -> str:
        """One projection of expert group ``name``: its ``n`` experts' (k, width) weights, batched."""
        y = g.node("MatMul", [x, g.weight(f"{name}.{proj}", (n, k, width), expert_dt)], f"{name}.{proj}")
        if spec.mlp_bias:
            y = g.node("Add", [y, g.weight(f"{name}.{proj}.bias", (n, 1, width))], f"{name}.{proj}.bias_add")
        return y

    outs = []
    start = 0
    for j, (n, m) in enumerate(groups):
        name = f"{pre}.mlp.experts.group{j}"
        rows = g.node("Slice", [flat, g.ints([start]), g.ints([start + n * m]), g.ints([0])], f"{name}.rows")
        start += n * m
        xs = g.node("Reshape", [rows, g.ints([n, m, H])], f"{name}.permute")
        if spec.gated_mlp:
            y = act(mm(name, n, xs, "gate_proj", H, e_inter), mm(name, n, xs, "up_proj", H, e_inter), name)
        else:
            y = act(mm(name, n, xs, "fc_in", H, e_inter), None, name)
        y = mm(name, n, y, "down_proj", e_inter, H)
        outs.append(g.node("Reshape", [y, g.ints([n * m, H])], f"{name}.unpermute"))
    cat = outs[0] if len(outs) == 1 else g.node("Concat", outs, f"{pre}.mlp.experts.gather", axis=0)
    w = g.node("Reshape", [cat, g.ints([tokens, k, H])], f"{pre}.mlp.experts.by_token")
    s = g.node("ReduceSum", [w, g.ints([1])], f"{pre}.mlp.experts.combine", keepdims=0)
    return g.node("Reshape", [s, g.node("Shape", [h], f"{pre}.mlp.shape")], f"{pre}.mlp.experts.out")
