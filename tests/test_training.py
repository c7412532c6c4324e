"""Training-run estimates: hand-computed cases and published rows (Strubell et al. 2019, Table 3)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from wattprint.energy.training import TrainingSpec, estimate_training
from wattprint.errors import WattprintError
from wattprint.hardware import load_hardware, load_profile_file
from wattprint.units import KG_PER_LB

#: Strubell et al. used 0.954 lbs CO2e per kWh (EPA 2018) -> gCO2e/kWh
STRUBELL_G_PER_KWH = 0.954 * KG_PER_LB * 1000
STRUBELL_PUE = 1.58

TOY = """
id: toy-gpu
name: Toy GPU
vendor: Test
kind: gpu
tdp_w: 300
sources:
  - {id: t, title: test sheet, publisher: tests, year: 2024, fields: [tdp_w]}
"""


@pytest.fixture
def hw(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY)
    return load_hardware((path,), use_user_dir=False)


def run(hw, **fields):
    return estimate_training(TrainingSpec(**fields), hw)


# Strubell et al. (2019), Table 3: hardware, total power (CPU + DRAM + GPUs, W), hours, kWh-PUE, lbs CO2e
STRUBELL_TABLE3 = [
    ("Transformer base", "p100", 8, 1415.78, 12, 27, 26),
    ("Transformer big", "p100", 8, 1515.43, 84, 201, 192),
    ("ELMo", "p100", 3, 517.66, 336, 275, 262),
    ("BERT base", "v100", 64, 12041.51, 79, 1507, 1438),
    ("NAS", "p100", 8, 1515.43, 274120, 656347, 626155),
]


@pytest.mark.parametrize("model,hardware,count,total_w,hours,kwh,lbs", STRUBELL_TABLE3, ids=[r[0] for r in STRUBELL_TABLE3])
def test_strubell_table3_rows(model, hardware, count, total_w, hours, kwh, lbs):
    """With Strubell's conventions (PUE 1.58, 0.954 lbs/kWh, power as given) the rows come out within 1%."""
    db = load_hardware(use_user_dir=False)
    r = estimate_training(
        TrainingSpec(
            hardware=hardware,
            count=count,
            hours=hours,
            power_w=total_w / count,
            pue=STRUBELL_PUE,
            intensity_gco2e_per_kwh=STRUBELL_G_PER_KWH,
        ),
        db,
    )
    # within 1%, or within the paper's rounding to whole kWh / lbs for the small rows
    assert abs(r.energy_kwh - kwh) <= max(0.01 * kwh, 0.5)
    assert abs(r.co2e_kg / KG_PER_LB - lbs) <= max(0.01 * lbs, 0.5)


def test_transformer_big_exact_figures():
    db = load_hardware(use_user_dir=False)
    r = estimate_training(
        TrainingSpec(hardware="p100", count=8, hours=84, power_w=1515.43 / 8, pue=1.58,
                     intensity_gco2e_per_kwh=STRUBELL_G_PER_KWH),
        db,
    )
    # 1.58 * 84 h * 1515.43 W / 1000 = 201.1279 kWh; x 0.954 lbs/kWh = 191.876 lbs
    assert r.energy_kwh == pytest.approx(201.1279, rel=1e-6)
    assert r.co2e_kg / KG_PER_LB == pytest.approx(191.876, rel=1e-5)
    assert r.hardware.id.startswith("p100")


def test_default_power_is_tdp_times_default_utilisation(hw):
    r = run(hw, hardware="toy-gpu", count=4, hours=10, pue=1.0, intensity_gco2e_per_kwh=100)
    # 4 x 300 W x 10 h = 12 kWh; x 100 g/kWh = 1.2 kg
    assert r.power_w == 300
    assert r.utilization == 1.0
    assert r.energy_kwh == pytest.approx(12.0)
    assert r.co2e_kg == pytest.approx(1.2)
    assert any("utilisation" in a for a in r.assumptions)


def test_utilisation_host_and_pue_split(hw):
    r = run(
        hw, hardware="toy-gpu", count=2, hours=5, utilization=0.5, pue=1.5, intensity_gco2e_per_kwh=200,
        host={"cpu_power_w": 100, "memory_gb": 100},
    )
    # accelerators: 2 x 150 W x 5 h = 1.5 kWh; host: (100 + 37.25) W x 5 h = 0.68625 kWh
    assert r.accelerator_kwh == pytest.approx(1.5)
    assert r.host_kwh == pytest.approx(0.68625)
    assert r.it_kwh == pytest.approx(2.18625)
    assert r.overhead_kwh == pytest.approx(2.18625 * 0.5)
    assert r.energy_kwh == pytest.approx(3.279375)
    assert r.co2e_kg == pytest.approx(3.279375 * 0.2)


def test_gpu_hours_equal_count_times_hours(hw):
    a = run(hw, hardware="toy-gpu", count=8, hours=3, pue=1.2, intensity_gco2e_per_kwh=300)
    b = run(hw, hardware="toy-gpu", count=8, gpu_hours=24, pue=1.2, intensity_gco2e_per_kwh=300)
    assert a.energy_kwh == pytest.approx(b.energy_kwh)
    assert b.hours == pytest.approx(3)


def test_default_pue_and_region_are_flagged(hw):
    r = run(hw, hardware="toy-gpu", count=1, hours=1)
    assert r.grid.is_default and r.grid.label == "world"
    assert r.pue.pue >= 1.0 and "default" in r.pue.basis
    assert any("world" in a for a in r.assumptions)


def test_missing_tdp_names_the_figure(tmp_path):
    path = tmp_path / "nopower.yaml"
    path.write_text(
        "id: mystery\nname: Mystery\nvendor: X\nkind: npu\n"
        "peak_tflops: {int8: 4}\nsources:\n  - {id: s, title: t, publisher: p, year: 2020, fields: [peak_tflops]}\n"
    )
    db = load_hardware((path,), use_user_dir=False)
    from wattprint.commands.common import flag_for

    with pytest.raises(WattprintError, match="no tdp_w.*power_w") as info:
        run(db, hardware="mystery", count=1, hours=1, intensity_gco2e_per_kwh=1)
    assert "pass --power W" in info.value.worded(flag_for)


def test_hourly_series_integrates_over_the_run(hw, tmp_path):
    grid = tmp_path / "grid.csv"
    grid.write_text("timestamp,intensity_gco2e_per_kwh\n" + "".join(
        f"2022-07-01T{h:02d}:00Z,{100 * (h + 1)}\n" for h in range(6)
    ))
    r = run(hw, hardware="toy-gpu", count=1, hours=2.5, pue=1.0, grid_file=str(grid),
            start=datetime(2022, 7, 1, 1, 0, tzinfo=timezone.utc))
    # hours 1, 2 and half of 3 -> (200 + 300 + 0.5 * 400) / 2.5 = 280 g/kWh; 0.75 kWh -> 0.21 kg
    assert r.grid.intensity_gco2e_per_kwh == pytest.approx(280)
    assert r.co2e_kg == pytest.approx(0.75 * 0.28)


def test_user_profile_overrides_builtin(tmp_path):
    builtin = load_hardware(use_user_dir=False).get("p100")
    text = (TOY.replace("toy-gpu", builtin.id).replace("tdp_w: 300", "tdp_w: 111"))
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    assert load_profile_file(path)[0].tdp_w == 111
    assert load_hardware((path,), use_user_dir=False).get(builtin.id).tdp_w == 111
