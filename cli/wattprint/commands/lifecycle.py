"""`wattprint lifecycle`: a training run plus serving its model, and when serving outweighs training."""

from __future__ import annotations

from wattprint.commands import options as o
from wattprint.commands.common import Defaults, check_numbers, emit, hardware_db, train_defaults
from wattprint.commands.train import training_overrides
from wattprint.vocab import OutputFormat


def lifecycle(
    spec: o.SpecArg = None,
    model: o.ServeModel = ...,  # type: ignore[assignment]  # typer's "required" marker (spec comes first)
    hardware: o.Hardware = None,
    count: o.Count = None,
    hours: o.Hours = None,
    gpu_hours: o.GpuHours = None,
    params: o.Params = None,
    tokens: o.Tokens = None,
    mfu: o.Mfu = None,
    power: o.Power = None,
    utilization: o.Utilization = None,
    pue: o.Pue = None,
    region: o.Region = None,
    intensity: o.Intensity = None,
    grid_file: o.GridFile = None,
    embodied: o.Embodied = False,
    serve_hardware: o.ServeHardware = "h100-sxm",
    dim: o.Dim = None,
    batch: o.Batch = None,
    precision: o.ServePrecision = None,
    inferences: o.Inferences = None,
    rate: o.Rate = None,
    days: o.Days = None,
    units: o.UnitsOpt = None,
    fmt: o.Format = OutputFormat.table,
    output: o.Output = None,
    hw_file: o.HwFile = None,
) -> None:
    """Training plus serving: total emissions and when serving outweighs training.

    Training flags mean what they mean for `wattprint train`; both phases share the grid and the PUE.

    Serving defaults to --rate 1e6/day for 365 days; a grid series gives serving its mean.
    """
    from wattprint.energy.training import estimate_training, load_training_spec
    from wattprint.errors import WattprintError
    from wattprint.estimate import InferOptions, infer_model, parse_dims
    from wattprint.inference import parse_rate_per_day
    from wattprint.lifecycle import lifecycle as combine
    from wattprint.render.formats import Report
    from wattprint.render.lifecycle import lifecycle_csv, lifecycle_doc, lifecycle_sections

    check_numbers(batch=("--batch", batch), inferences=("--inferences", inferences), days=("--days", days))
    if inferences is not None and (rate is not None or days is not None):
        raise WattprintError("give --inferences or --rate (with --days), not both")
    if inferences is None and rate is None:
        rate = "1e6/day"
    db = hardware_db(hw_file)
    overrides = training_overrides(hardware=hardware, count=count, hours=hours, gpu_hours=gpu_hours, params=params,
                                   tokens=tokens, mfu=mfu, power=power, utilization=utilization, pue=pue,
                                   region=region, intensity=intensity, grid_file=grid_file, embodied=embodied)
    defaults = Defaults()
    units = defaults.units(units)
    train_defaults(defaults, spec, overrides)
    run_spec = load_training_spec(spec, overrides)
    trained = estimate_training(run_spec, db, units.value)
    grid = trained.grid
    served = infer_model(model, InferOptions(
        hardware=serve_hardware, dims=parse_dims(dim), batch=batch, precision=precision.value if precision else None,
        region=grid.label if grid.kind == "region" else None,
        intensity=grid.intensity_gco2e_per_kwh if grid.kind == "explicit" else None,
        grid_file=run_spec.grid_file if grid.kind in ("grid-file", "grid-series") else None,
        grid_gaps=run_spec.grid_gaps, grid_basis=run_spec.grid_basis if run_spec.grid_file else None,
        pue=trained.pue.pue, inferences=inferences, rate=rate, days=days, units=units.value,
    ), db)
    result = combine(trained, served, parse_rate_per_day(rate) if rate else None)
    emit(fmt, Report(
        title=f"Lifecycle: {result.training.name} + serving {model.name}",
        doc=lambda: defaults.add_to(lifecycle_doc(result, units.value)),
        sections=lambda: defaults.note(lifecycle_sections(result, units.value)),
        rows=lambda: lifecycle_csv(result),
    ), output)
