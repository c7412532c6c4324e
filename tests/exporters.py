"""Real exporter graphs for tests: small models built from transformers configs, exported by torch / ONNX Runtime.

One implementation for two users: the session fixture ``exported`` (tests) and ``scripts/export_models.py``
(humans, benchmarks). Models are built in code from a transformers config with random weights (nothing is
downloaded), exported, then stripped: every initializer over 1 KiB is turned into external data pointing at a
file that is never written, so the saved graphs keep only shapes (as a user's graph-only file would).

Exports (``EXPORTS``; the name is the file stem):

- ``bert-legacy``   BertModel, 2 layers, hidden 128, 4 heads, FFN 512, via ``torch.onnx.export(dynamo=False)``
- ``bert-dynamo``   the same weights via ``torch.onnx.export(dynamo=True)``
- ``bert-ort``      ``bert-legacy`` fused by ``onnxruntime.transformers.optimizer.optimize_model(model_type='bert')``
                    (com.microsoft EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu)
- ``llama-legacy``  LlamaForCausalLM, 2 layers, hidden 128, 4 heads, 2 KV heads (GQA), FFN 256, with KV cache
                    inputs named as transformers/optimum do (``past_key_values.{i}.key/.value``, ``present.{i}.*``;
                    dims ``batch_size``, ``sequence_length``, ``past_sequence_length`` and the derived
                    ``past_sequence_length + sequence_length``), legacy exporter, opset 17
- ``llama-dynamo``  the same weights via the dynamo exporter at opset 23 (ONNX Attention, RotaryEmbedding,
                    RMSNormalization); the attention mask's length is its own dim ``total_sequence_length``
                    (torch.export cannot name a sum of two dims on an input)
- ``llama-genai``   the same weights via onnxruntime-genai's model builder: com.microsoft GroupQueryAttention
                    (rotary inside), SkipSimplifiedLayerNormalization; dims ``batch_size``, ``sequence_length``,
                    ``past_sequence_length``, ``total_sequence_length`` and ``kv_cache_dim`` (the head size)

Heavy imports (torch, transformers, onnxruntime, onnxruntime_genai) happen inside functions only: importing this module is cheap and
works without the ``export`` extra; the fixture skips when it is missing.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# --------------------------------------------------------------------------------------------------
# architectures (the analytic counts in tests/test_exporters.py use these numbers)

BERT = dict(vocab_size=1024, hidden_size=128, num_hidden_layers=2, num_attention_heads=4, intermediate_size=512,
            max_position_embeddings=256, type_vocab_size=2)
BERT_SEQ = 128  # sequence length of the example input (dims stay symbolic)

LLAMA = dict(vocab_size=1024, hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=False, rope_theta=10000.0)

STRIP_BYTES = 1024  # initializers at least this large go to (absent) external data
WEIGHTS_FILE = "{stem}.weights"  # name the stripped graph points at; never written


def missing_export_deps() -> str | None:
    """Why the exports cannot run here (None when they can)."""
    import importlib.util

    missing = [m for m in ("torch", "transformers", "onnxscript", "onnxruntime", "onnxruntime_genai") if importlib.util.find_spec(m) is None]
    if missing:
        return f"needs the 'export' extra (pip install -e '.[export]'): {', '.join(missing)} not installed"
    return None


# --------------------------------------------------------------------------------------------------
# weight stripping


def _tensors(graph):
    """Every TensorProto of a graph: initializers and node attributes, subgraphs included."""
    yield from graph.initializer
    for node in graph.node:
        for a in node.attribute:
            if a.HasField("t"):
                yield a.t
            yield from a.tensors
            if a.HasField("g"):
                yield from _tensors(a.g)
            for g in a.graphs:
                yield from _tensors(g)


def strip_weights(path: Path) -> int:
    """Rewrite ``path`` in place with every tensor (initializers, Constant attributes) >= STRIP_BYTES as external
    data in a file that does not exist. Returns the number of bytes left out. Also deletes any external data files the exporter wrote."""
    import onnx
    from onnx import external_data_helper as edh

    path = Path(path)
    model = onnx.load(str(path), load_external_data=False)
    # the exporter's own external data files (torch and onnxruntime-genai write "<name>.data")
    old = {kv.value for t in _tensors(model.graph) for kv in t.external_data if kv.key == "location"}
    edh.load_external_data_for_model(model, str(path.parent))
    location = WEIGHTS_FILE.format(stem=path.stem)
    offset = 0
    for t in _tensors(model.graph):
        n = len(t.raw_data) if t.HasField("raw_data") else 0
        if n < STRIP_BYTES:
            continue
        edh.set_external_data(t, location=location, offset=offset, length=n)
        t.ClearField("raw_data")
        offset += n
    onnx.save(model, str(path))
    for loc in old:
        (path.parent / loc).unlink(missing_ok=True)
    (path.parent / location).unlink(missing_ok=True)
    return offset


# --------------------------------------------------------------------------------------------------
# models


def _randomize(model, seed: int) -> None:
    """Random values in every parameter: exporters de-duplicate equal initializers (LayerNorm ones, zero biases),
    which would change the graph's parameter count; real checkpoints have distinct values."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.02)


def _bert():
    import torch
    from transformers import BertConfig, BertModel

    class Encoder(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            o = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return o.last_hidden_state, o.pooler_output

    m = BertModel(BertConfig(**BERT, attn_implementation="eager")).eval()
    _randomize(m, 0)
    args = tuple(torch.ones(1, BERT_SEQ, dtype=torch.long) for _ in range(3))
    return Encoder(m).eval(), args


BERT_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
BERT_OUTPUTS = ["last_hidden_state", "pooler_output"]


def _llama(attn: str):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    from transformers.cache_utils import DynamicCache

    layers = LLAMA["num_hidden_layers"]

    class Decoder(torch.nn.Module):
        """Flat tensors in and out, as optimum's decoder-with-past exports."""

        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, position_ids, *past):
            cache = DynamicCache(ddp_cache_data=[(past[2 * i], past[2 * i + 1]) for i in range(len(past) // 2)])
            o = self.m(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                       past_key_values=cache, use_cache=True)
            out = [o.logits]
            for layer in o.past_key_values.layers:
                out += [layer.keys, layer.values]
            return tuple(out)

    m = LlamaForCausalLM(LlamaConfig(**LLAMA, attn_implementation=attn)).eval()
    _randomize(m, 1)
    past_len, seq = 8, 4  # example sizes > 1 so neither exporter specialises them
    kv_heads = LLAMA["num_key_value_heads"]
    head_dim = LLAMA["hidden_size"] // LLAMA["num_attention_heads"]
    args = (
        torch.ones(1, seq, dtype=torch.long),
        torch.ones(1, past_len + seq, dtype=torch.long),
        torch.arange(past_len, past_len + seq).unsqueeze(0),
        *[torch.zeros(1, kv_heads, past_len, head_dim) for _ in range(2 * layers)],
    )
    return Decoder(m).eval(), args


def _llama_names():
    layers = LLAMA["num_hidden_layers"]
    past = [f"past_key_values.{i}.{k}" for i in range(layers) for k in ("key", "value")]
    present = [f"present.{i}.{k}" for i in range(layers) for k in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids", *past], ["logits", *present]


@contextlib.contextmanager
def _quiet():
    """The exporters print progress and warn about tracing; tests and the script need none of it."""
    import logging

    buf = io.StringIO()
    level = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(level)


# --------------------------------------------------------------------------------------------------
# exports (each writes dest; the caller strips weights)


def export_bert_legacy(dest: Path) -> None:
    import torch

    model, args = _bert()
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in BERT_INPUTS}
    axes.update({"last_hidden_state": {0: "batch_size", 1: "sequence_length"}, "pooler_output": {0: "batch_size"}})
    torch.onnx.export(model, args, str(dest), input_names=BERT_INPUTS, output_names=BERT_OUTPUTS,
                      dynamic_axes=axes, opset_version=17, dynamo=False)


def export_bert_dynamo(dest: Path) -> None:
    import torch

    model, args = _bert()
    b, s = torch.export.Dim("batch_size"), torch.export.Dim("sequence_length", max=BERT["max_position_embeddings"])
    torch.onnx.export(model, args, str(dest), input_names=BERT_INPUTS, output_names=BERT_OUTPUTS,
                      dynamic_shapes={n: {0: b, 1: s} for n in BERT_INPUTS}, opset_version=18, dynamo=True,
                      external_data=False)


def export_bert_ort(dest: Path) -> None:
    """ORT's fusion needs the weights (it concatenates Q/K/V), so it runs on an unstripped legacy export."""
    from onnxruntime.transformers.optimizer import optimize_model

    full = dest.with_name(dest.stem + ".unfused.onnx")
    export_bert_legacy(full)
    opt = optimize_model(str(full), model_type="bert", num_heads=BERT["num_attention_heads"],
                         hidden_size=BERT["hidden_size"], opt_level=0)
    stats = opt.get_fused_operator_statistics()
    if not (stats.get("Attention") and stats.get("SkipLayerNormalization")):
        raise RuntimeError(f"ONNX Runtime did not fuse the BERT export: {stats}")
    opt.save_model_to_file(str(dest))
    full.unlink()


def export_llama_legacy(dest: Path) -> None:
    import torch

    model, args = _llama("eager")
    inputs, outputs = _llama_names()
    total = "past_sequence_length + sequence_length"
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: total},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    axes.update({n: {0: "batch_size", 2: "past_sequence_length"} for n in inputs[3:]})
    axes.update({n: {0: "batch_size", 2: total} for n in outputs[1:]})
    torch.onnx.export(model, args, str(dest), input_names=inputs, output_names=outputs, dynamic_axes=axes,
                      opset_version=17, dynamo=False)


def export_llama_dynamo(dest: Path) -> None:
    import torch

    model, args = _llama("sdpa")
    inputs, outputs = _llama_names()
    Dim = torch.export.Dim
    b = Dim("batch_size")
    s = Dim("sequence_length", max=LLAMA["max_position_embeddings"])
    p = Dim("past_sequence_length", max=LLAMA["max_position_embeddings"])
    t = Dim("total_sequence_length", max=2 * LLAMA["max_position_embeddings"])
    shapes = ({0: b, 1: s}, {0: b, 1: t}, {0: b, 1: s}, tuple({0: b, 2: p} for _ in inputs[3:]))
    torch.onnx.export(model, args, str(dest), input_names=inputs, output_names=outputs, dynamic_shapes=shapes,
                      opset_version=23, dynamo=True, external_data=False)


def export_llama_genai(dest: Path) -> None:
    """onnxruntime-genai's model builder (GroupQueryAttention, SkipSimplifiedLayerNormalization, fused QKV).

    The builder reads a Hugging Face folder: the same random-weight Llama saved with save_pretrained, plus a
    word-level tokenizer built in code (the builder insists on loading one; nothing is downloaded)."""
    import shutil
    import subprocess
    import sys
    import tempfile

    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    model, _ = _llama("eager")
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        hf, out = Path(tmp) / "hf", Path(tmp) / "out"
        model.m.save_pretrained(hf)
        vocab = {f"t{i}": i for i in range(LLAMA["vocab_size"])}
        tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="t0"))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="t0", bos_token="t1", eos_token="t2").save_pretrained(hf)
        cmd = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", str(hf), "-o", str(out),
               "-p", "fp32", "-e", "cpu", "-c", str(Path(tmp) / "cache")]
        r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        if r.returncode != 0:
            raise RuntimeError(f"onnxruntime-genai builder failed ({r.returncode}): {r.stderr[-2000:]}")
        # keep the graph and its data file side by side under dest's name; strip_weights drops the data
        shutil.move(out / "model.onnx", dest)
        shutil.move(out / "model.onnx.data", dest.parent / "model.onnx.data")


@dataclass(frozen=True)
class Export:
    name: str
    family: str  # "bert" | "llama"
    exporter: str  # what produced it, in words
    build: Callable[[Path], None]


EXPORTS: dict[str, Export] = {e.name: e for e in (
    Export("bert-legacy", "bert", "torch.onnx.export(dynamo=False), opset 17", export_bert_legacy),
    Export("bert-dynamo", "bert", "torch.onnx.export(dynamo=True), opset 18", export_bert_dynamo),
    Export("bert-ort", "bert", "ORT transformers optimizer (model_type=bert) over the legacy export", export_bert_ort),
    Export("llama-legacy", "llama", "torch.onnx.export(dynamo=False), opset 17, eager attention", export_llama_legacy),
    Export("llama-dynamo", "llama", "torch.onnx.export(dynamo=True), opset 23, sdpa attention", export_llama_dynamo),
    Export("llama-genai", "llama", "onnxruntime-genai model builder (-p fp32 -e cpu)", export_llama_genai),
)}


@dataclass
class Exporter:
    """Exports on demand into ``folder``, each at most once; ``seconds`` records what each took."""

    folder: Path
    paths: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    stripped_bytes: dict[str, int] = field(default_factory=dict)

    def __call__(self, name: str) -> Path:
        if name not in self.paths:
            spec = EXPORTS[name]
            dest = Path(self.folder) / f"{name}.onnx"
            dest.parent.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            with _quiet():
                import torch

                torch.manual_seed(0)
                spec.build(dest)
            self.stripped_bytes[name] = strip_weights(dest)
            self.seconds[name] = time.perf_counter() - t0
            self.paths[name] = dest
        return self.paths[name]

    def hf_config(self, family: str = "llama") -> Path:
        """The Hugging Face config.json of the exported architecture (written by transformers itself), for
        comparing the config path of `wattprint infer` with the ONNX path on the same model."""
        from transformers import BertConfig, LlamaConfig

        cls, kw = {"llama": (LlamaConfig, LLAMA), "bert": (BertConfig, BERT)}[family]
        folder = Path(self.folder) / f"{family}-hf"
        if not (folder / "config.json").exists():
            cfg = cls(**kw)
            cfg.architectures = ["LlamaForCausalLM" if family == "llama" else "BertModel"]
            cfg.save_pretrained(folder)
        return folder / "config.json"


# --------------------------------------------------------------------------------------------------
# pytest


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> Exporter:
    """``exported("bert-legacy")`` -> Path of the stripped graph (exported once per session).

    Skips the test when the ``export`` extra (torch, transformers, onnxscript, onnxruntime) is not installed."""
    why = missing_export_deps()
    if why:
        pytest.skip(why)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return Exporter(tmp_path_factory.mktemp("exports"))
