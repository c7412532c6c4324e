"""`wattprint infer`: per-layer energy of one inference, and LLM generation (prefill + decode)."""

from __future__ import annotations

from pathlib import Path

from wattprint.commands import options as o
from wattprint.commands.common import Defaults, check_numbers, emit, hardware_db, output_format, split_ids, warn_lines
from wattprint.vocab import ByGroup, FunctionalUnit, GapPolicy, OutputFormat, Units


def infer(
    model: o.ModelArg,
    hardware: o.Hardware = None,
    dim: o.Dim = None,
    batch: o.Batch = None,
    precision: o.PrecisionOpt = None,
    region: o.Region = None,
    intensity: o.Intensity = None,
    grid_file: o.GridFile = None,
    gaps: o.Gaps = None,
    grid_basis: o.GridBasisOpt = None,
    pue: o.Pue = None,
    provider: o.Provider = None,
    inferences: o.Inferences = None,
    rate: o.Rate = None,
    days: o.Days = None,
    system: o.System = None,
    power_limit: o.PowerLimit = None,
    top: o.Top = None,
    by: o.By = None,
    task: o.Task = None,
    functional_unit: o.FunctionalUnitOpt = None,
    compare_region: o.CompareRegion = None,
    compare_hardware: o.CompareHardware = None,
    units: o.UnitsOpt = None,
    fmt: o.Format = OutputFormat.table,
    output: o.Output = None,
    hw_file: o.HwFile = None,
    prompt_tokens: o.PromptTokens = None,
    output_tokens: o.OutputTokens = None,
    concurrency: o.Concurrency = None,
    devices: o.Devices = None,
    kv_precision: o.KvPrecision = None,
) -> None:
    """Per-layer work and energy of one inference of an ONNX model, and emissions at a serving volume.

    LLMs: pass a decoder (ONNX export, a Hugging Face config.json, or a built-in config name: see
    `wattprint llm-configs`) with --prompt-tokens and --output-tokens for energy per request and per
    output token, prefill and decode.
    """
    from wattprint.estimate import DEFAULT_INFER_HARDWARE, InferOptions, infer_model, parse_dims
    from wattprint.label import energy_label
    from wattprint.render.formats import Report
    from wattprint.render.infer import infer_csv, infer_doc, infer_sections

    defaults = Defaults()
    units = defaults.units(units)
    hardware = defaults.pick("hardware", hardware) or DEFAULT_INFER_HARDWARE
    if intensity is None and grid_file is None:
        region = defaults.pick("region", region)
    pue, provider = defaults.pick("pue", pue), defaults.pick("provider", provider)
    gen_flags = {"--prompt-tokens": prompt_tokens, "--output-tokens": output_tokens, "--concurrency": concurrency,
                 "--devices": devices, "--kv-precision": kv_precision}
    generation = any(v is not None for v in gen_flags.values())
    if not generation:
        from wattprint.generation import is_generation_source

        generation = is_generation_source(model)
    if generation:  # the layer table's options have no table to act on
        given = [f for f, v in (("--top", top), ("--by", by), ("--task", task)) if v is not None]
        if given:
            from wattprint.errors import WattprintError

            raise WattprintError(f"{', '.join(given)} do{'es' if len(given) == 1 else ''} not apply to a generation "
                                 f"workload (it shows prefill and decode, not a layer table)",
                                 hint=f"drop {', '.join(given)}")
    top = 25 if top is None else top
    if output is not None:  # a bad -o stops the command before any work or warning
        output_format(output, fmt)
    check_numbers(top=("--top", top), batch=("--batch", batch), inferences=("--inferences", inferences),
                  days=("--days", days), pue=("--pue", pue), intensity_gco2e_per_kwh=("--intensity", intensity))
    options = InferOptions(
        hardware=hardware,
        dims=parse_dims(dim),
        batch=batch,
        precision=precision.value if precision else None,
        region=region,
        intensity=intensity,
        grid_file=str(grid_file) if grid_file else None,
        grid_gaps=(gaps or GapPolicy.fill).value,
        grid_basis=grid_basis.value if grid_basis else None,
        pue=pue,
        provider=provider,
        inferences=inferences,
        rate=rate,
        days=days,
        units=units.value,
        system=system,
        power_limit_w=power_limit,
    )
    db = hardware_db(hw_file)
    if generation:
        _infer_generation(model, options, db, fmt, units, batch=batch, compare=bool(compare_region or compare_hardware),
                          prompt_tokens=prompt_tokens, output_tokens=output_tokens, concurrency=concurrency,
                          devices=devices, precision=precision, kv_precision=kv_precision,
                          functional_unit=functional_unit, output=output, defaults=defaults)
        return
    result = infer_model(model, options, db)
    label = energy_label(result.system_energy_per_inference_j, result.model, task)
    doc, extra = defaults.add_to(infer_doc(result, label)), []
    standards = _infer_standards(result, provider, functional_unit, doc, units.value)
    regions, hw_ids = split_ids(compare_region, "--compare-region"), split_ids(compare_hardware, "--compare-hardware")
    if regions or hw_ids:  # (imported only when asked: the training model behind it is not needed otherwise)
        from wattprint import whatif
        from wattprint.render.whatif import alternatives_doc, alternatives_section
    volume = "at the serving volume" if result.inferences is not None else "per million inferences"
    if regions:
        alts = whatif.infer_regions(result, regions)
        doc["what_if_regions"] = alternatives_doc(alts)
        extra.append(alternatives_section(f"What if: other regions ({volume})", alts, units.value))
    if hw_ids:
        alts = whatif.infer_hardware(result, db, hw_ids)
        doc["what_if_hardware"] = alternatives_doc(alts)
        extra.append(alternatives_section(f"What if: other hardware ({volume})", alts, units.value))
    warn_lines(list(result.model.warnings) + list(result.warnings), fmt)
    emit(fmt, Report(
        title=f"Inference: {model.name} on {result.hardware.id}",
        doc=lambda: doc,
        sections=lambda: defaults.note(standards(infer_sections(result, units.value, top=top, by_op=by is ByGroup.op,
                                                                label=label))) + extra,
        rows=lambda: infer_csv(result),
    ), output)


def _infer_generation(model: Path, options, db, fmt: OutputFormat, units: Units, *, batch, compare, prompt_tokens,
                      output_tokens, concurrency, devices, precision, kv_precision, functional_unit=None, output=None,
                      defaults: Defaults | None = None) -> None:
    """`infer` with a generation workload (LLM decoders): prefill + decode, per request and per token."""
    from wattprint.errors import WattprintError
    from wattprint.generation import GenerationWorkload, generation_from_options
    from wattprint.render.formats import Report
    from wattprint.render.generation import generation_csv, generation_doc, generation_sections
    from wattprint.render.sci import water_section

    if batch is not None:
        raise WattprintError("--batch does not apply to a generation workload", hint="use --concurrency N")
    if compare:
        raise WattprintError("--compare-region/--compare-hardware do not apply to a generation workload yet")
    missing = [f for f, v in (("--prompt-tokens", prompt_tokens), ("--output-tokens", output_tokens)) if v is None]
    if missing:
        raise WattprintError(f"{model}: an LLM generation estimate needs {' and '.join(missing)}",
                             hint="e.g. --prompt-tokens 512 --output-tokens 256")
    workload = GenerationWorkload(
        prompt_tokens=prompt_tokens, output_tokens=output_tokens, concurrency=1 if concurrency is None else concurrency,
        devices=1 if devices is None else devices, precision=precision.value if precision else None,
        kv_precision=kv_precision.value if kv_precision else None,
    )
    result = generation_from_options(model, options, workload, db)
    warn_lines(list(result.warnings), fmt)
    doc = generation_doc(result)
    extra = []
    extra.append(water_section(options.provider or result.grid.provider, result.system_energy_per_request_j,
                               result.requests, "request", doc))
    if functional_unit is not None:
        from wattprint.render.sci import sci_doc, sci_section
        from wattprint.sci import generation_sci

        score = generation_sci(result, functional_unit.value)
        doc["sci"] = sci_doc(score)
        extra.append(sci_section(score, units.value))
    if defaults is not None:
        defaults.add_to(doc)
    emit(fmt, Report(
        title=f"LLM generation: {result.model} on {result.workload.devices} x {result.hardware.id}",
        doc=lambda: doc,
        sections=lambda: (defaults.note if defaults is not None else list)(generation_sections(result, units.value) + extra),
        rows=lambda: generation_csv(result),
    ), output)


def _infer_standards(result, provider: str | None, unit: FunctionalUnit | None, doc: dict, units: str):
    """Water (always) and SCI (with --functional-unit): add their JSON keys, return a function adding their rows."""
    from wattprint.render.sci import insert_after, sci_doc, sci_section, water_section
    from wattprint.sci import infer_sci

    water = water_section(provider or result.grid.provider, result.system_energy_per_inference_j, result.inferences,
                          "inference", doc)
    score = infer_sci(result, unit.value) if unit is not None else None
    if score is not None:
        doc["sci"] = sci_doc(score)

    def add(sections: list) -> list:
        out = insert_after(sections, "Totals", water)
        return insert_after(out, "Water (on-site)", sci_section(score, units)) if score is not None else out

    return add
