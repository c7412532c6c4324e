"""Tables at 80 columns: nothing wider, no value split from its unit, no id broken, no trailing padding."""

from __future__ import annotations

import json
import re

import pytest

from onnx_builders import bert, save
from wattprint.render import Section, fit_columns, needed_width


@pytest.fixture
def cols80(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def _check_lines(out: str, width: int = 80) -> list[str]:
    lines = out.split("\n")
    for line in lines:
        assert len(line) <= width, (len(line), line)
        assert line == line.rstrip(), repr(line)
    return lines


UNIT_ALONE = re.compile(r"^\s*(kWh|MWh|Wh|mJ|µJ|J|kg|g|mg|µg|t|µs|ms|s|W|GB|MB|kB|B|%)(\s|$)")


def _no_orphan_units(lines: list[str]) -> None:
    """A value's unit never starts a continuation line on its own (the number stayed on the line above)."""
    for prev, line in zip(lines, lines[1:]):
        assert not (prev.strip() and UNIT_ALONE.match(line)), (prev, line)


def test_infer_tables_fit_80_columns(cli, cols80, tiny_model):
    code, out, _ = cli("infer", tiny_model, "--rate", "1e6/day", "--compare-hardware", "a100-pcie-40gb,l4",
                       "--compare-region", "fr,pl", "--functional-unit", "inference", "--provider", "aws")
    assert code == 0
    lines = _check_lines(out)
    _no_orphan_units(lines)
    assert any(re.match(r"^\s+a100-pcie-40gb\s", line) for line in lines)  # the id whole, on one line


def test_train_and_reference_tables_fit_80_columns(cli, cols80):
    code, out, _ = cli("train", "--hardware", "a100", "--count", "8", "--hours", "100", "--power", "310",
                       "--compare-hardware", "a100-pcie-40gb,h100,v100", "--compare-region", "fr,us-ca")
    assert code == 0
    _no_orphan_units(_check_lines(out))
    code, out, _ = cli("hardware", "list")
    lines = _check_lines(out)
    ids = [p["id"] for p in json.loads(cli("hardware", "list", "--format", "json")[1])["profiles"]]
    first_cells = {line.split()[0] for line in lines if line.startswith("  ") and line.split()}
    assert set(ids) <= first_cells  # every id whole at the start of its row
    code, out, _ = cli("regions", "list", "--search", "canada")
    lines = _check_lines(out)
    assert any(line.split()[:1] == ["azure-canadacentral"] for line in lines if line.strip())


def test_wide_output_keeps_every_column(cli, monkeypatch, tiny_model):
    monkeypatch.setenv("COLUMNS", "200")
    _, out, _ = cli("infer", tiny_model)
    header = next(line for line in out.splitlines() if line.strip().startswith("name"))
    assert header.split() == ["name", "op", "output", "MACs", "params", "bytes", "time", "energy", "share"]


def test_narrow_output_drops_optional_columns_first(cli, cols80, tiny_model):
    s = Section("t", ("name", "op", "output", "MACs"), (("fc1", "Gemm", "1x128", "8.19 k"),), numeric=(3,),
                optional=(2, 1))
    # name 4, op 4, output 6 (its header), MACs 6 ('8.19 k' whole), each + 3 padding, + 1 = 33 cells;
    # without output 24, without op too 17
    assert needed_width(s, [0, 1, 2, 3]) == 33

    class C:
        width = 40

    assert fit_columns(C, s) == [0, 1, 2, 3]
    C.width = 30
    assert fit_columns(C, s) == [0, 1, 3]
    C.width = 20
    assert fit_columns(C, s) == [0, 3]


def test_piped_output_has_no_trailing_padding(cli, monkeypatch, tiny_model):
    monkeypatch.delenv("COLUMNS")
    _, out, _ = cli("infer", tiny_model, "--rate", "1e6/day")
    assert out.endswith("\n") and all(line == line.rstrip() for line in out.split("\n"))


def test_layer_table_says_per_batch_and_per_inference(cli, tmp_path):
    path = save(bert(layers=1, hidden=64, heads=2, ffn=128, vocab=100, max_pos=64).model(), tmp_path, "bert.onnx")
    _, out, _ = cli("infer", path, "--dim", "sequence_length=16", "--batch", "4")
    assert "Output, MACs, bytes and time per batch of 4; energy per inference (the batch's / 4)." in out
    _, out, _ = cli("infer", path, "--dim", "sequence_length=16", "--batch", "4", "--by", "op")
    assert "MACs and bytes per batch of 4; energy per inference." in out
    _, out, _ = cli("infer", path, "--dim", "sequence_length=16", "--batch", "1")
    assert "Batch 1: every figure is per inference." in out


def test_tables_without_optional_columns_drop_text_then_numbers_and_say_so(monkeypatch):
    import io

    from rich.console import Console

    from wattprint.render import drop_order, print_tables

    s = Section("v", ("id", "model", "hardware", "measured", "ratio", "excluded"),
                (("mlperf-v2.1-002", "bert-large", "a100-sxm-80gb x4", "288 mJ/sample", "1.19", "a long reason " * 4),),
                numeric=(3, 4))
    assert drop_order(s) == (5, 2, 1, 4, 3)  # text right to left, then numbers right to left; never the id
    buf = io.StringIO()
    print_tables(Console(file=buf, width=60, color_system=None, soft_wrap=False), "t", [s])
    out = buf.getvalue()
    assert "mlperf-v2.1-002" in out and "288 mJ/sample" in out and "1.19" in out
    # id 15 + model 10 + measured 13 + ratio 5, each + 3, + 1 = 56 cells: fits 60 once hardware and excluded go
    assert "bert-large" in out
    assert "Not shown at this width: hardware, excluded" in " ".join(out.split())
    assert all(len(line) <= 60 for line in out.splitlines())
