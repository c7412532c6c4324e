"""Read an ONNX file: parse from a memory map, validate, and confine external-data locations to the model's folder."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable

import onnx
from onnx import AttributeProto, TensorProto

from ..errors import WattprintError
from .common import _EXTERNAL


def load_proto(path: str | os.PathLike[str], label: str | None = None) -> tuple[onnx.ModelProto, list[str]]:
    """Load and validate a model once (for callers that cost it at several bindings)."""
    p = os.fspath(path)
    model = _load(p, label or p)
    warnings: list[str] = []
    _check_external_data(model, p, label or p, warnings)
    return model, warnings


def _load(path: str, label: str) -> onnx.ModelProto:
    if not os.path.exists(path):
        raise WattprintError(f"{label}: no such file", hint="check the model path")
    if os.path.isdir(path):
        raise WattprintError(f"{label}: is a directory", hint="pass the .onnx file inside it")
    from ..limits import check_file

    check_file(path, "model")  # devices, FIFOs and sockets refused by kind, before reading; size limit
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise WattprintError(f"{label}: cannot read the file ({e.strerror or e})") from None
    if size == 0:
        raise WattprintError(f"{label}: the file is empty, not an ONNX model", hint="re-export or re-download it")
    try:
        model = _parse(path)
    except OSError as e:
        raise WattprintError(f"{label}: cannot read the file ({e.strerror or e})") from None
    except Exception:  # protobuf DecodeError, RuntimeError from the C++ parser, ...
        raise WattprintError(
            f"{label}: not a readable ONNX model (truncated or corrupt protobuf)",
            hint="re-export or re-download it",
        ) from None
    g = model.graph if model.HasField("graph") else None
    if g is None or model.ir_version <= 0 or (len(g.node) == 0 and len(g.output) == 0):
        raise WattprintError(
            f"{label}: not an ONNX model (no graph or IR version)", hint="pass an .onnx model file"
        )
    return model


def _parse(path: str) -> onnx.ModelProto:
    """Parse a binary .onnx file straight from a memory map.

    Same result as ``onnx.load(path, load_external_data=False)`` without first copying the whole
    file into a bytes object: on a model with hundreds of MB of inline weights this halves the
    load time. Other serialisations (.onnxtxt, .json, ...) go through ``onnx.load``.
    """
    if not path.lower().endswith(".onnx"):
        return onnx.load(path, load_external_data=False)
    import mmap

    model = onnx.ModelProto()
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        with memoryview(mapped) as view:
            model.ParseFromString(view)  # copies what it keeps: nothing refers to the map afterwards
    return model


def _iter_graph_tensors(graph: onnx.GraphProto) -> Iterable[TensorProto]:
    yield from graph.initializer
    for st in graph.sparse_initializer:
        yield st.values
        yield st.indices
    yield from _iter_node_tensors(graph.node)


def _iter_node_tensors(nodes: Iterable[onnx.NodeProto]) -> Iterable[TensorProto]:
    for n in nodes:
        for a in n.attribute:
            t = a.type
            if t == AttributeProto.TENSOR:
                yield a.t
            elif t == AttributeProto.TENSORS:
                yield from a.tensors
            elif t == AttributeProto.GRAPH:
                yield from _iter_graph_tensors(a.g)
            elif t == AttributeProto.GRAPHS:
                for g in a.graphs:
                    yield from _iter_graph_tensors(g)


def _check_external_data(model: onnx.ModelProto, path: str, label: str, warnings: list[str]) -> None:
    """Validate every external-data location (inside the model's folder); never read it."""
    base = os.path.dirname(os.path.abspath(path))
    real_base = os.path.realpath(base)
    checked: dict[str, bool] = {}
    tensors = _iter_graph_tensors(model.graph)
    for f in model.functions:
        tensors = itertools.chain(tensors, _iter_node_tensors(f.node))
    for t in tensors:
        if t.data_location != _EXTERNAL:
            continue
        loc = None
        for kv in t.external_data:
            if kv.key == "location":
                loc = kv.value
        if loc is None:
            raise WattprintError(
                f"{label}: tensor '{t.name}' uses external data but has no location",
                hint="re-save the model with onnx.save_model(..., save_as_external_data=True)",
            )
        if loc in checked:
            continue
        checked[loc] = _check_location(loc, base, real_base, label, t.name)
    missing = sorted(loc for loc, exists in checked.items() if not exists)
    if missing:
        shown = ", ".join(missing[:3]) + (f" (+{len(missing) - 3} more)" if len(missing) > 3 else "")
        warnings.append(f"external data file(s) not present: {shown} (not needed for counting)")


def _check_location(loc: str, base: str, real_base: str, label: str, tname: str) -> bool:
    norm_loc = loc.replace("\\", "/")
    bad = (
        os.path.isabs(loc)
        or norm_loc.startswith("/")
        or (len(norm_loc) > 1 and norm_loc[1] == ":")  # Windows drive
        or "\x00" in loc
    )
    full = os.path.normpath(os.path.join(base, norm_loc))
    if not bad:
        bad = os.path.commonpath([full, base]) != base or full == base
    if not bad and os.path.lexists(full):
        real = os.path.realpath(full)
        bad = os.path.commonpath([real, real_base]) != real_base
    if bad:
        raise WattprintError(
            f"{label}: external data of tensor '{tname}' points outside the model's folder ({loc!r})",
            hint="keep the .data file next to the model and use a relative location",
        )
    return os.path.exists(full)
