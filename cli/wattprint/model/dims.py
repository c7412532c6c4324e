"""Symbolic input dims: bind them from ``dims`` / ``batch`` and evaluate derived dims (``past_sequence_length + 1``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import onnx

from ..errors import WattprintError
from .common import MAX_DIM

if TYPE_CHECKING:
    from .ops.base import Shape

class _Binding:
    def __init__(self) -> None:
        self.bound: dict[str, int] = {}  # dim name -> value (model order)
        self.input_types: dict[str, tuple[int, Shape | None]] = {}  # input -> (dtype, bound partial shape)
        self.taints: dict[str, frozenset[str]] = {}  # input -> unbound dim names
        self.where: dict[str, tuple[str, int]] = {}  # dim name -> (first input, axis)


def _check_dim_value(label: str, name: str, v: object, low: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise WattprintError(f"{label}: dim {name!r} must be an integer, got {v!r}")
    v = int(v)
    if v < low or v > MAX_DIM:
        raise WattprintError(f"{label}: dim {name!r}={v} is out of range", hint=f"use {low}..{MAX_DIM}")
    return v


_DIM_EXPR_OPS: dict[str, Callable[[int, int], int | None]] = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
                 "//": lambda a, b: a // b if b else None, "/": lambda a, b: a // b if b and a % b == 0 else None,
                 "%": lambda a, b: a % b if b else None}


def _eval_dim_expr(expr: str, bound: Mapping[str, int]) -> int | None:
    """Value of a derived dim such as ``past_sequence_length + 1`` from the bound dims, or None.

    Only names, whole numbers, + - * // / % and parentheses; anything else (or an unbound name) is
    not an expression of bound dims.
    """
    import ast

    if not any(c in expr for c in "+-*/%"):
        return None
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None
    ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Div: "/", ast.Mod: "%"}

    def ev(n: ast.AST) -> int | None:
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, int) and not isinstance(n.value, bool):
            return n.value
        if isinstance(n, ast.Name):
            return bound.get(n.id)
        if isinstance(n, ast.BinOp) and type(n.op) in ops:
            a, b = ev(n.left), ev(n.right)
            return None if a is None or b is None else _DIM_EXPR_OPS[ops[type(n.op)]](a, b)
        return None

    try:
        return ev(tree)
    except RecursionError:
        return None


def _bind_dims(
    real_inputs: Iterable[onnx.ValueInfoProto], dims: Mapping[str, int] | None, batch: int | None, label: str,
    warnings: list[str], empty: frozenset[str] = frozenset(),
) -> _Binding:
    b = _Binding()
    raw: list[tuple[str, int, list[int | str]]] = []  # (input, dtype, [dim: a size, or a symbol])
    names: dict[str, None] = {}
    for vi in real_inputs:
        tt = vi.type.tensor_type if vi.type.HasField("tensor_type") else None
        if tt is None:
            b.input_types[vi.name] = (0, None)
            continue
        if not tt.HasField("shape"):
            b.input_types[vi.name] = (tt.elem_type, None)
            b.taints[vi.name] = frozenset({f"?{vi.name}"})
            b.where[f"?{vi.name}"] = (vi.name, -1)
            continue
        ds: list[int | str] = []
        for axis, d in enumerate(tt.shape.dim):
            which = d.WhichOneof("value")
            if which == "dim_value" and d.dim_value > 0:
                ds.append(int(d.dim_value))
                continue
            key = d.dim_param if which == "dim_param" and d.dim_param else f"{vi.name}[{axis}]"
            ds.append(key)
            names.setdefault(key)
            b.where.setdefault(key, (vi.name, axis))
        raw.append((vi.name, tt.elem_type, ds))

    if batch is not None:
        batch = _check_dim_value(label, "batch", batch)
        hit = False
        for _, _, ds in raw:
            if ds and isinstance(ds[0], str):
                b.bound[ds[0]] = batch
                hit = True
        if not hit:
            warnings.append(
                f"batch {batch} ignored: every input has a fixed first dim (the model's own batch is used)"
            )
    for k, v in (dims or {}).items():
        # a KV-cache length may be 0 (prefill with an empty cache, as ONNX Runtime runs decoders)
        v = _check_dim_value(label, k, v, 0 if k in empty or "past" in k.lower() else 1)
        if k not in names:
            have = ", ".join(repr(n) for n in names) if names else "none"
            raise WattprintError(f"{label}: the model has no symbolic dim {k!r}; its symbolic dims are: {have}")
        if k in b.bound and b.bound[k] != v:
            raise WattprintError(
                f"{label}: conflicting values for dim {k!r}: --batch {b.bound[k]} and --dim {k}={v}"
            )
        b.bound[k] = v
    # derived dims ('past_sequence_length + 1') follow from the bound ones; a binding that disagrees is an error
    for n in names:
        value = _eval_dim_expr(n, b.bound)
        if value is None:
            continue
        if n in b.bound and b.bound[n] != value:
            raise WattprintError(
                f"{label}: dim {n!r} is bound to {b.bound[n]} but evaluates to {value} from the other dims",
                hint=f"drop --dim for {n!r} (it is derived)",
            )
        b.bound[n] = _check_dim_value(label, n, value, 0)
    # keep model order
    b.bound = {n: b.bound[n] for n in names if n in b.bound}
    for name, dt, ds in raw:
        shp: list[int | None] = []
        taint: set[str] = set()
        for val in ds:
            if isinstance(val, int):
                shp.append(val)
            elif val in b.bound:
                shp.append(b.bound[val])
            else:
                shp.append(None)
                taint.add(val)
        b.input_types[name] = (dt, tuple(shp))
        if taint:
            b.taints[name] = frozenset(taint)
    return b


def _unbound_message(label: str, unbound: Mapping[str, str], binding: _Binding) -> str:
    named: list[tuple[str, str]] = []
    parts, fixes = [], []
    for sym in unbound:
        inp, axis = binding.where.get(sym, ("?", -1))
        if sym.startswith("?"):
            parts.append(f"input '{inp}' has no declared shape")
            fixes.append("re-export the model with input shapes")
        elif sym == f"{inp}[{axis}]":
            parts.append(f"dim {axis} of input '{inp}' has no name or size")
            fixes.append("--batch N" if axis == 0 else f"--dim '{sym}=N'")
        else:
            named.append((sym, inp))
    if named:
        inputs = ", ".join(f"'{i}'" for i in dict.fromkeys(i for _, i in named))
        if len(named) == 1:
            parts.insert(0, f"symbolic dim '{named[0][0]}' of input {inputs} is unbound")
        else:
            syms = ", ".join(f"'{s}'" for s, _ in named)
            parts.insert(0, f"symbolic dims {syms} of input{'s' if ',' in inputs else ''} {inputs} are unbound")
        fixes[:0] = [f"--dim {s}=N" for s, _ in named]
    return f"{label}: {'; '.join(parts)}; pass {' '.join(dict.fromkeys(fixes))}"
