"""System (node) profiles and the hardware-profile fields the physical inference model uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from wattprint.errors import UnknownIdError, WattprintError
from wattprint.hardware import ARCHITECTURES, FIGURE_FIELDS, load_hardware
from wattprint.systems import SYSTEM_FIGURE_FIELDS, load_system_file, load_systems, systems_dir

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_FILES = sorted((ROOT / "hwprofiles" / "systems").glob("*.y*ml"))
REQUIRED_SYSTEMS = ("dgx-h100", "hgx-h100-8gpu", "dgx-a100", "hgx-b200", "dgx-b200", "pcie-server-1gpu",
                    "pcie-server-4gpu", "pcie-server-8gpu", "jetson-agx-orin-devkit")


def _minimal(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sys.yaml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = """id: my-node
name: My node
vendor: Me
accelerator: h100-sxm
accelerator_count: 4
host_cpus:
  - {hardware: epyc-7763, count: 2}
host_memory_gb: 512
max_power_w: 6000
sources:
  - id: me
    title: my spec sheet
    publisher: Me
    year: 2025
    fields: [host_cpus, host_memory_gb, max_power_w]
"""


def test_shipped_folder_is_the_repository_one():
    assert systems_dir().resolve() == (ROOT / "hwprofiles" / "systems").resolve()


@pytest.mark.parametrize("path", SYSTEM_FILES, ids=lambda p: p.name)
def test_every_system_loads_resolves_and_is_sourced(path: Path):
    db = load_hardware(use_user_dir=False)
    s = load_system_file(path, db)
    assert path.stem == s.id
    if s.accelerator is not None:
        assert db.get(s.accelerator).kind != "cpu"
    else:
        assert s.generic, "only a generic class may leave the accelerator open"
    for cpu in s.host_cpus:
        prof = db.get(cpu.hardware)
        assert prof.kind == "cpu"
        assert cpu.tdp_w == prof.tdp_w
        assert (cpu.tdp_source is None) == (prof.tdp_w is None)
    for figure in SYSTEM_FIGURE_FIELDS:
        if getattr(s, figure) not in (None, ()):
            assert s.figure_source(figure) is not None, f"{figure} has no source"


def test_required_systems_and_published_node_power():
    db = load_systems()
    for key in REQUIRED_SYSTEMS:
        assert db.get(key).id == key
    assert db.get("dgx-h100").max_power_w == 10200
    assert db.get("dgx-a100").max_power_w == 6500
    assert db.get("dgx-b200").max_power_w == 14300
    assert db.get("dgx-h100").accelerator == "h100-sxm" and db.get("dgx-h100").accelerator_count == 8


def test_host_cpu_tdp_sums_cpu_profiles():
    db = load_systems()
    # 2x AMD EPYC 7742 at 225 W each (codecarbon CPU table)
    assert db.get("dgx-a100").host_cpu_tdp_w == 450
    # one Xeon Gold 5423N at 145 W
    assert db.get("pcie-server-1gpu").host_cpu_tdp_w == 145
    # the DGX H100's 8480C has no published TDP: the sum is unknown, not zero
    assert db.get("dgx-h100").host_cpu_tdp_w is None
    # the Orin SoC's CPU is inside the module: no host CPU listed
    assert db.get("jetson-agx-orin-devkit").host_cpus == ()


def test_default_system_of_every_profile_resolves_and_matches():
    hw = load_hardware(use_user_dir=False)
    systems = load_systems()
    seen = 0
    for p in hw.profiles.values():
        if p.default_system is None:
            continue
        seen += 1
        s = systems.get(p.default_system)
        assert s.accelerator in (None, p.id), f"{p.id} -> {s.id} runs {s.accelerator}"
    assert seen >= 15
    assert hw.get("h100").default_system == "dgx-h100"
    assert hw.get("l4").default_system == "pcie-server-1gpu"


def test_systems_are_not_listed_as_devices():
    hw = load_hardware(use_user_dir=False)
    ids = set(hw.profiles)
    assert not ids & set(load_systems().systems)


def test_unknown_system_names_close_matches():
    with pytest.raises(UnknownIdError) as info:
        load_systems().get("dgx-h10")
    assert "dgx-h100" in info.value.suggestions
    assert "unknown system 'dgx-h10'" in str(info.value)


def test_user_system_file_loads(tmp_path):
    s = load_system_file(_minimal(tmp_path, GOOD))
    assert s.host_cpu_tdp_w == 2 * 280  # EPYC 7763 at 280 W
    assert load_systems((tmp_path / "sys.yaml",)).get("my-node").max_power_w == 6000


@pytest.mark.parametrize(
    "edit, expected",
    [
        (("accelerator: h100-sxm", "accelerator: h100-sxn"), "field 'accelerator': unknown hardware profile 'h100-sxn'"),
        (("{hardware: epyc-7763", "{hardware: h100-sxm"), "is a gpu profile, not a CPU"),
        (("accelerator: h100-sxm", "accelerator: epyc-7763"), "is a CPU profile"),
        (("fields: [host_cpus, host_memory_gb, max_power_w]", "fields: [host_cpus, host_memory_gb]"), "'max_power_w' has no source"),
        (("max_power_w: 6000", "max_power_w: 6000\nidle_power_w: 7000"), "'idle_power_w' has no source"),
        (("max_power_w: 6000", "max_power_w: 6000\nfans_w: 10"), "unknown field 'fans_w'"),
        (("accelerator: h100-sxm\n", ""), "names its accelerator"),
    ],
)
def test_bad_system_files_fail_with_one_located_message(tmp_path, edit, expected):
    path = _minimal(tmp_path, GOOD.replace(*edit))
    with pytest.raises(WattprintError) as info:
        load_system_file(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)


# ----------------------------------------------------------------------------- hardware additions


def test_every_builtin_accelerator_names_its_architecture():
    hw = load_hardware(use_user_dir=False)
    for p in hw.profiles.values():
        assert p.architecture in ARCHITECTURES, p.id
        if p.kind == "cpu":
            assert p.architecture in ("cpu", "apple")
    assert hw.get("h100").architecture == "hopper"
    assert hw.get("jetson-agx-orin").architecture == "orin"
    assert hw.get("a2").architecture == "ampere"


def test_new_figures_are_sourced_and_consistent():
    assert {"min_power_limit_w", "max_power_limit_w", "interconnect_bandwidth_gbps"} <= set(FIGURE_FIELDS)
    hw = load_hardware(use_user_dir=False)
    for p in hw.profiles.values():
        for figure in ("min_power_limit_w", "max_power_limit_w", "interconnect_bandwidth_gbps"):
            if getattr(p, figure) is not None:
                assert p.figure_source(figure) is not None, (p.id, figure)
        if p.max_power_limit_w is not None and p.tdp_w is not None:
            assert p.max_power_limit_w >= p.tdp_w
    assert hw.get("h100-sxm").interconnect_bandwidth_gbps == 900
    assert hw.get("a100-sxm-80gb").interconnect_bandwidth_gbps == 600
    assert (hw.get("a2").min_power_limit_w, hw.get("a2").max_power_limit_w) == (40, 60)


def test_filled_gaps_use_dense_datasheet_figures():
    hw = load_hardware(use_user_dir=False)
    h100_pcie = hw.get("h100-pcie")
    # datasheet with sparsity: FP16 1,513, TF32 756, FP8 3,026 -> dense halves
    assert h100_pcie.peak("fp16") == 756 and h100_pcie.peak("tf32") == 378 and h100_pcie.peak("fp8") == 1513
    assert hw.get("jetson-agx-orin-64gb").memory_bandwidth_gbps == 204.8
    assert hw.get("a30").peak("fp16") == 165 and hw.get("a30").memory_bandwidth_gbps == 933
    assert hw.get("qualcomm-ai100-pro").peak("int8") == 375
    assert hw.get("a100-sxm-80gb-cts").id == "a100-sxm-80gb"


def test_idle_above_max_is_rejected(tmp_path):
    body = GOOD.replace("max_power_w: 6000", "max_power_w: 6000\nidle_power_w: 7000").replace(
        "host_memory_gb, max_power_w]", "host_memory_gb, max_power_w, idle_power_w]")
    with pytest.raises(WattprintError, match="idle_power_w is above max_power_w"):
        load_system_file(_minimal(tmp_path, body))


def test_power_limit_range_is_checked(tmp_path):
    from wattprint.hardware import load_profile_file

    path = tmp_path / "x.yaml"
    path.write_text(
        "id: x\nname: X\nvendor: X\nkind: gpu\ntdp_w: 100\nmin_power_limit_w: 120\nmax_power_limit_w: 100\n"
        "sources:\n  - {id: s, title: t, publisher: p, year: 2024, fields: [tdp_w, min_power_limit_w, max_power_limit_w]}\n",
        encoding="utf-8",
    )
    with pytest.raises(WattprintError, match="min_power_limit_w is above max_power_limit_w"):
        load_profile_file(path)
