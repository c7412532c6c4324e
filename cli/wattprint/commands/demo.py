"""`wattprint demo`: the bundled examples, a training run and an inference, no files needed."""

from __future__ import annotations

import sys

from wattprint.commands import options as o
from wattprint.commands.common import emit
from wattprint.vocab import OutputFormat, Units

DEMO_CSV_COLUMNS = ["part", "name", "hardware", "region", "intensity_gco2e_per_kwh", "pue", "energy_kwh", "co2e_kg",
                    "inferences", "energy_per_inference_j", "co2e_per_inference_g"]


def demo(units: o.UnitsOpt = None, fmt: o.Format = OutputFormat.table) -> None:
    """Run the bundled examples on the default region: a training run and an inference, no files needed.

    Training: Transformer-big as accounted by Strubell et al. (2019), 8 x P100 for 84 h.
    Inference: ResNet-50 (the ONNX model zoo copy that ships inside the onnx package) on an H100,
    served 1 million times a day for a year.
    """
    from wattprint.datafiles import package_data
    from wattprint.estimate import InferOptions, demo_model_path, infer_model, train_run
    from wattprint.render.formats import Report
    from wattprint.render.infer import infer_csv, infer_doc, infer_sections
    from wattprint.render.train import train_csv, train_doc, train_sections

    units = units or Units.metric
    trained = train_run(package_data("demo-train.yaml"), {}, units=units.value)
    served = infer_model(demo_model_path(), InferOptions(rate="1e6/day", days=365, units=units.value))
    training = Report(
        title=f"Demo 1/2, training run: {trained.name}",
        sections=lambda: train_sections(trained, units.value),
        rows=lambda: train_csv(trained),
    )
    inference = Report(
        title=f"Demo 2/2, inference: ResNet-50 (onnx model zoo) on {served.hardware.id}, 1e6 inferences/day for a year",
        sections=lambda: infer_sections(served, units.value, top=10),
        rows=lambda: infer_csv(served),
    )
    if fmt in (OutputFormat.table, OutputFormat.markdown):  # the two parts one after the other
        emit(fmt, training)
        sys.stdout.write("\n")
        sys.stdout.flush()
        emit(fmt, inference)
        return
    both = Report(  # JSON, CSV and HTML: one document holding both parts
        title="wattprint demo: a training run and an inference",
        doc=lambda: {"kind": "demo", "train": train_doc(trained, units.value), "infer": infer_doc(served)},
        sections=lambda: training.sections() + inference.sections(),
        rows=lambda: _demo_csv(trained, served),
        text={OutputFormat.html: lambda: _demo_html(trained, served, units)},
    )
    emit(fmt, both)


def _demo_html(trained, served, units: Units) -> str:
    """The HTML report: both parts' tables, and the inference's charts."""
    from wattprint.render.html import to_html
    from wattprint.render.infer import infer_doc, infer_sections
    from wattprint.render.train import train_sections

    return to_html("wattprint demo: a training run and an inference", infer_doc(served),
                   train_sections(trained, units.value) + infer_sections(served, units.value, top=10))


def _demo_csv(trained, served) -> tuple:
    """Both demo parts as rows of one CSV (energy and CO2e of the part; the per-inference figures for inference)."""
    rows = [
        ["training", trained.name, trained.hardware.id, trained.grid.label, trained.grid.intensity_gco2e_per_kwh,
         trained.pue.pue, trained.energy_kwh, trained.co2e_kg, None, None, None],
        ["inference", served.model.path.rsplit("/", 1)[-1], served.hardware.id, served.grid.label,
         served.grid.intensity_gco2e_per_kwh, served.pue.pue, served.energy_kwh, served.co2e_kg, served.inferences,
         served.energy_per_inference_j, served.co2e_per_inference_g],
    ]
    return DEMO_CSV_COLUMNS, rows
