"""`wattprint train`: energy and emissions of a training run."""

from __future__ import annotations

from pathlib import Path

from wattprint.commands import options as o
from wattprint.commands.common import Defaults, check_numbers, emit, hardware_db, split_ids, train_defaults
from wattprint.vocab import FunctionalUnit


def train(
    spec: o.SpecArg = None,
    hardware: o.Hardware = None,
    count: o.Count = None,
    hours: o.Hours = None,
    gpu_hours: o.GpuHours = None,
    params: o.Params = None,
    tokens: o.Tokens = None,
    model: o.TrainModel = None,
    samples: o.Samples = None,
    epochs: o.Epochs = None,
    mfu: o.Mfu = None,
    precision: o.TrainPrecisionOpt = None,
    power: o.Power = None,
    utilization: o.Utilization = None,
    pue: o.Pue = None,
    provider: o.Provider = None,
    region: o.Region = None,
    intensity: o.Intensity = None,
    grid_file: o.GridFile = None,
    start: o.Start = None,
    gaps: o.Gaps = None,
    grid_basis: o.GridBasisOpt = None,
    best_start: o.BestStart = False,
    window: o.Window = None,
    compare_region: o.CompareRegion = None,
    compare_hardware: o.CompareHardware = None,
    embodied: o.Embodied = False,
    lifetime_years: o.LifetimeYears = None,
    host_embodied_kg: o.HostEmbodiedKg = None,
    name: o.Name = None,
    functional_unit: o.FunctionalUnitOpt = None,
    units: o.UnitsOpt = None,
    fmt: o.Format = o.OutputFormat.table,
    output: o.Output = None,
    hw_file: o.HwFile = None,
) -> None:
    """Energy and emissions of a training run, from a spec file or flags."""
    from wattprint import whatif
    from wattprint.carbon import parse_start
    from wattprint.energy.training import estimate_training, load_training_spec
    from wattprint.errors import WattprintError
    from wattprint.render.formats import Report
    from wattprint.render.train import train_csv, train_doc, train_sections
    from wattprint.render.whatif import alternatives_doc, alternatives_section, best_start_doc, best_start_section

    overrides = training_overrides(
        hardware=hardware, count=count, hours=hours, gpu_hours=gpu_hours, params=params, tokens=tokens, model=model,
        samples=samples, epochs=epochs, mfu=mfu, precision=precision, power=power, utilization=utilization, pue=pue,
        provider=provider, region=region, intensity=intensity, grid_file=grid_file, start=start, gaps=gaps,
        grid_basis=grid_basis, embodied=embodied, lifetime_years=lifetime_years, host_embodied_kg=host_embodied_kg,
        name=name)
    if start is not None:
        overrides["start"] = parse_start(start)
    check_numbers(window=("--window", window))
    if window is not None and not best_start:
        raise WattprintError("--window applies only with --best-start", hint="add --best-start or drop --window")
    defaults = Defaults()
    units = defaults.units(units)
    train_defaults(defaults, spec, overrides)
    run_spec = load_training_spec(spec, overrides)
    db = hardware_db(hw_file)
    if best_start:
        from wattprint.carbon import GridSeries, load_grid_file

        if run_spec.grid_file is None:
            raise WattprintError("--best-start needs an hourly --grid-file")
        series = load_grid_file(Path(run_spec.grid_file), run_spec.grid_basis)
        if run_spec.start is None and isinstance(series, GridSeries):
            run_spec = run_spec.model_copy(update={"start": series.start})  # "now" is the series' first hour
    result = estimate_training(run_spec, db, units.value)
    doc, extra = defaults.add_to(train_doc(result, units.value)), []
    standards = _train_standards(result, run_spec.provider, functional_unit, doc, units.value)
    regions, devices = split_ids(compare_region, "--compare-region"), split_ids(compare_hardware, "--compare-hardware")
    if regions:
        alts = whatif.train_regions(run_spec, db, result, regions)
        doc["what_if_regions"] = alternatives_doc(alts)
        extra.append(alternatives_section("What if: other regions", alts, units.value))
    if devices:
        alts = whatif.train_hardware(run_spec, db, result, devices)
        doc["what_if_hardware"] = alternatives_doc(alts)
        share = whatif.like_for_like_utilization(run_spec, result)
        how = [] if result.compute else ["Same work: hours scaled by the ratio of peak throughput at the run's precision."]
        if run_spec.power_w is not None and share is not None:
            how.append(f"Like with like: the given {run_spec.power_w:g} W is {share:.3g} of the {result.hardware.id} TDP; "
                       f"each alternative draws the same fraction of its own TDP.")
        elif share is not None:
            how.append(f"Each device draws {share:.3g} of its own TDP.")
        extra.append(alternatives_section("What if: other hardware", alts, units.value, caption=" ".join(how) or None))
    if best_start and run_spec.grid_file is not None:  # (a grid file is required above)
        found = whatif.best_start(result, run_spec.grid_file, run_spec.start, window, run_spec.grid_gaps, run_spec.grid_basis)
        doc["best_start"] = best_start_doc(found)
        extra.append(best_start_section(found, units.value))
    emit(fmt, Report(
        title=f"Training run: {result.name}",
        doc=lambda: doc,
        sections=lambda: defaults.note(standards(train_sections(result, units.value))) + extra,
        rows=lambda: train_csv(result),
    ), output)


def training_overrides(**flags) -> dict:
    """Training flags as training-spec fields (None: not given; the spec file or a default decides)."""
    def value(v):
        return v.value if hasattr(v, "value") else (str(v) if isinstance(v, Path) else v)

    renamed = {"power": "power_w", "intensity": "intensity_gco2e_per_kwh", "gaps": "grid_gaps"}
    return {renamed.get(k, k): (value(v) if v is not None else None) for k, v in flags.items()}


def _train_standards(result, provider: str | None, unit: FunctionalUnit | None, doc: dict, units: str):
    """Water (always) and SCI (with --functional-unit): add their JSON keys, return a function adding their rows."""
    from wattprint.render import Section
    from wattprint.render.sci import insert_after, sci_doc, sci_section, water_doc, water_rows
    from wattprint.sci import train_sci
    from wattprint.water import estimate_water

    water = estimate_water(provider or result.grid.provider, result.it_kwh)
    doc["water"] = water_doc(water)
    score = train_sci(result, unit.value) if unit is not None else None
    if score is not None:
        doc["sci"] = sci_doc(score)
    section = Section("Water (on-site)", ("", ""), tuple(water_rows(water, "of the run")), key_value=True)

    def add(sections: list) -> list:
        anchor = sections[0].title if sections else ""
        out = insert_after(sections, anchor, section)
        return insert_after(out, "Water (on-site)", sci_section(score, units)) if score is not None else out

    return add
