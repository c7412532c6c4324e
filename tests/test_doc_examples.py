"""Every `wattprint ...` command shown in README.md and docs/*.md runs, in a folder holding the files it names.

A command example is a line inside a fenced code block that starts with `wattprint ` (or `$ wattprint `).
The folder gets the files the examples name, built here: `model.onnx` (a small MLP with a fixed batch), `bert.onnx` (a 2-layer
BERT with a symbolic `sequence_length`), `decoder.onnx` (a 2-layer GPT-2 with a KV cache), `config.json` (a
shipped Llama config), `run.yaml` (the README's "all fields" spec, verbatim), `hourly.csv` (an hourly grid
series), and the budget example of examples/ci with a baseline `main.json`. An example needing a file that is
not built here fails the test (a new example must bring its input), apart from the benchmark commands of
docs/performance.md, listed in BENCHMARK_ONLY with the reason.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: the commands of docs/performance.md run on the benchmark's generated models ($M is benchmarks/out/models:
#: a 436 MB BERT and 10k/40k-node chains); benchmarks/bench_infer.py runs them, not the test suite
BENCHMARK_ONLY = "$M/"

#: the install lines at the top of the README: .ci/run runs them (tests/test_readme.py keeps them in sync)
INSTALL = ".venv/bin/wattprint demo"


def _examples() -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        fenced = False
        for line in doc.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            text = line.strip().removeprefix("$ ")
            if fenced and text.startswith("wattprint ") and INSTALL not in text:
                out.append((doc.relative_to(ROOT).as_posix(), text))
    return out


EXAMPLES = _examples()


def _all_fields_spec() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"A spec file \(all fields.*?```yaml\n(.*?)```", readme, re.S).group(1)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    import json

    import onnx

    import onnx_builders as b

    d = tmp_path_factory.mktemp("doc-examples")
    model = onnx.load(ROOT / "examples/ci/models/tiny-mlp.onnx")  # as torch.onnx.export writes it by default:
    for value in (*model.graph.input, *model.graph.output):        # a fixed batch of 1
        value.type.tensor_type.shape.dim[0].dim_value = 1
    onnx.save(model, d / "model.onnx")
    onnx.save(b.bert(layers=2, hidden=128, heads=2, ffn=512, vocab=1000).model(), d / "bert.onnx")
    onnx.save(b.gpt2_decode(layers=2, hidden=128, heads=2, vocab=1000).model(), d / "decoder.onnx")
    config = json.loads((ROOT / "cli/wattprint/data/llm-configs/llama-3.1-8b.json").read_text())
    (d / "config.json").write_text(json.dumps(config))
    (d / "run.yaml").write_text(_all_fields_spec())
    # hourly intensity for the 72-hour window plus the README spec's 120-hour run, starting 2022-07-01
    rows = ["timestamp,intensity_gco2e_per_kwh"]
    rows += [f"2022-07-{1 + h // 24:02d}T{h % 24:02d}:00Z,{300 + 100 * ((h % 24) >= 12)}" for h in range(240)]
    (d / "hourly.csv").write_text("\n".join(rows) + "\n")
    shutil.copytree(ROOT / "examples/ci", d, dirs_exist_ok=True)
    return d


def test_examples_found():
    """The collector sees the README's and docs' examples (a change of format must not empty the list)."""
    docs = {doc for doc, _ in EXAMPLES}
    assert {"README.md", "docs/ci.md", "docs/performance.md"} <= docs
    assert len(EXAMPLES) >= 30


@pytest.mark.parametrize("doc,command", EXAMPLES, ids=[f"{d}: {c}" for d, c in EXAMPLES])
def test_doc_example_runs(doc, command, sandbox, cli, monkeypatch):
    if BENCHMARK_ONLY in command:
        assert doc == "docs/performance.md", f"{doc}: only the benchmark commands may use {BENCHMARK_ONLY}"
        pytest.skip("benchmark command: run by benchmarks/bench_infer.py on its generated models")
    monkeypatch.chdir(sandbox)
    if "--baseline main.json" in command and not (sandbox / "main.json").exists():
        code, _, err = cli("check", "--write-baseline", "main.json")
        assert code == 0, err
    args = shlex.split(command, comments=True)[1:]
    code, out, err = cli(*args)
    assert code == 0, f"{doc}: `{command}` exited {code}: {err.strip()}"
    written = [args[i + 1] for i, a in enumerate(args) if a == "-o"]
    assert out.strip() or written, f"{doc}: `{command}` printed nothing"
    for path in written:
        assert (sandbox / path).stat().st_size > 0, path
