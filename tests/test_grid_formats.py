"""Grid data people actually have: gaps, vendor exports recognised from their headers, a UTF-8 BOM."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from wattprint.carbon import choose_grid, load_grid_file, parse_start
from wattprint.carbon.gridfile import LBS_PER_MWH_TO_G_PER_KWH
from wattprint.carbon.series import MAX_GAP_FILL_S
from wattprint.errors import WattprintError

HOURLY = "timestamp,intensity_gco2e_per_kwh\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def hours(values, day="2022-07-01"):
    return "".join(f"{day}T{h:02d}:00Z,{'' if v is None else v}\n" for h, v in enumerate(values))


# ----------------------------------------------------------------------------- gaps


def test_an_empty_value_is_filled_linearly_and_named(tmp_path):
    path = write(tmp_path, "g.csv", HOURLY + hours([100, None, 300, 400]))
    choice = choose_grid(grid_file=path, start=parse_start("2022-07-01T00:00Z"), hours=3)
    assert choice.intensity_gco2e_per_kwh == pytest.approx((100 + 200 + 300) / 3)  # the hole is (100+300)/2
    (warning,) = choice.warnings
    assert "2022-07-01T01:00Z to 2022-07-01T02:00Z" in warning and "line 3" in warning and "interpolation" in warning


def test_missing_rows_are_a_gap_too(tmp_path):
    # the step comes from the first two rows; 01:00 = 0, then 04:00 = 300: 02:00 and 03:00 are missing -> 100, 200
    path = write(tmp_path, "g.csv", HOURLY + "2022-07-01T00:00Z,0\n2022-07-01T01:00Z,0\n2022-07-01T04:00Z,300\n"
                 "2022-07-01T05:00Z,300\n")
    series = load_grid_file(path)
    assert list(series.values) == [0, 0, 100, 200, 300, 300]
    assert series.average_over(parse_start("2022-07-01T02:00Z"), 2) == pytest.approx(150)


def test_gaps_outside_the_run_window_are_irrelevant(tmp_path):
    path = write(tmp_path, "g.csv", HOURLY + hours([100, None, 300, 400, 500]))
    choice = choose_grid(grid_file=path, start=parse_start("2022-07-01T03:00Z"), hours=2, gaps="error")
    assert choice.intensity_gco2e_per_kwh == 450 and choice.warnings == ()


def test_gaps_error_keeps_strictness(tmp_path):
    path = write(tmp_path, "g.csv", HOURLY + hours([100, None, 300]))
    from wattprint.commands.common import flag_for

    with pytest.raises(WattprintError, match=r"2022-07-01T01:00Z to 2022-07-01T02:00Z.*grid_gaps error") as info:
        choose_grid(grid_file=path, start=parse_start("2022-07-01T00:00Z"), hours=3, gaps="error")
    assert "(--gaps error)" in info.value.worded(flag_for)


def test_a_gap_longer_than_the_limit_is_an_error_naming_the_span(tmp_path):
    n = MAX_GAP_FILL_S // 3600 + 1  # one hour too many
    path = write(tmp_path, "g.csv", HOURLY + hours([100] + [None] * n + [100, 100]))
    with pytest.raises(WattprintError) as err:
        choose_grid(grid_file=path, start=parse_start("2022-07-01T00:00Z"), hours=3)
    assert f"2022-07-01T01:00Z to 2022-07-01T{1 + n:02d}:00Z, {n} missing points" in str(err.value)
    # a run after it is fine
    ok = choose_grid(grid_file=path, start=parse_start(f"2022-07-01T{1 + n:02d}:00Z"), hours=2)
    assert ok.intensity_gco2e_per_kwh == 100


def test_a_gap_at_the_end_cannot_be_interpolated(tmp_path):
    path = write(tmp_path, "g.csv", HOURLY + hours([100, 200, None]))
    with pytest.raises(WattprintError, match="not interpolated"):
        choose_grid(grid_file=path)  # the whole series is the window for a mean


def test_best_start_skips_runs_over_unusable_gaps(tmp_path):
    # a long gap of zeros would look cheapest if it were used
    n = MAX_GAP_FILL_S // 3600 + 2
    values = [500, 400] + [None] * n + [50, 60, 500]
    series = load_grid_file(write(tmp_path, "g.csv", HOURLY + hours(values)))
    best, mean = series.best_start(parse_start("2022-07-01T00:00Z"), 1, None)
    assert best == parse_start(f"2022-07-01T{2 + n:02d}:00Z") and mean == 50
    with pytest.raises(WattprintError, match="crosses a gap"):
        series.best_start(parse_start("2022-07-01T00:00Z"), 4, 1)


def test_real_ciso_file_with_empty_hours():
    """EIA-930-derived CISO 2022 (hpe_dcrl): 3 empty hours; a July run is unaffected, a run over one is filled."""
    from conftest import ROOT

    path = ROOT.parent / "shared" / "datasets" / "hpe_dcrl_hourly_2022" / "CISO_hourly_2022.csv"
    if not path.is_file():
        pytest.skip("shared datasets not present")
    series = load_grid_file(path)
    assert len(series) == 8760 and [(g.first, g.count, g.line) for g in series.gaps] == [(106, 1, 108), (3282, 1, 3284), (3930, 1, 3932)]
    july = choose_grid(grid_file=path, start=parse_start("2022-07-01T00:00Z"), hours=24 * 31)
    assert july.warnings == () and 50 < july.intensity_gco2e_per_kwh < 600
    filled = choose_grid(grid_file=path, start=parse_start("2022-01-05T09:00Z"), hours=3)
    assert "2022-01-05T10:00Z to 2022-01-05T11:00Z" in filled.warnings[0]
    assert series.values[106] == pytest.approx((series.values[105] + series.values[107]) / 2)


# ----------------------------------------------------------------------------- vendor formats


EM_OLD = ("Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),"
          "Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,Data Source,Data Estimated,"
          "Data Estimation Method\n")
EM_NEW = ("Datetime (UTC),Country,Zone name,Zone id,Carbon intensity gCO₂eq/kWh (direct),"
          "Carbon intensity gCO₂eq/kWh (Life cycle),Carbon-free energy percentage (CFE%),"
          "Renewable energy percentage (RE%),Data source,Data estimated,Data estimation method\n")


@pytest.mark.parametrize("header", [EM_OLD, EM_NEW])
def test_electricity_maps_export_lifecycle_by_default_or_direct(tmp_path, header):
    rows = "".join(f'2022-07-01 {h:02d}:00:00,"Korea, Republic of",South Korea,KR,{d},{lc},60,30,x,false,\n'
                   for h, (d, lc) in enumerate([(300, 400), (100, 200)]))
    path = write(tmp_path, "KR_2022_hourly.csv", header + rows, encoding="utf-8-sig")  # with a BOM
    lc = choose_grid(grid_file=path)
    assert lc.intensity_gco2e_per_kwh == 300 and lc.basis == "lifecycle" and lc.signal == "average"
    assert "Electricity Maps" in lc.note and "lifecycle" in lc.note
    direct = choose_grid(grid_file=path, basis="direct")
    assert direct.intensity_gco2e_per_kwh == 200 and direct.basis == "direct"
    assert load_grid_file(path).start == datetime(2022, 7, 1, tzinfo=timezone.utc)


def test_watttime_moer_is_converted_and_marginal(tmp_path):
    body = "point_time,value,frequency,market,ba,datatype,version\n" + "".join(
        f"2022-07-01T00:{m:02d}:00+00:00,{v},300,RTM,CAISO_NORTH,MOER,3.0\n" for m, v in ((0, 1000), (5, 500)))
    path = write(tmp_path, "moer.csv", body)
    choice = choose_grid(grid_file=path)
    assert choice.intensity_gco2e_per_kwh == pytest.approx(750 * 0.45359237)
    assert LBS_PER_MWH_TO_G_PER_KWH == 0.45359237
    assert choice.signal == "marginal" and "marginal" in choice.note and "WattTime" in choice.note
    with pytest.raises(WattprintError, match="not lifecycle"):
        choose_grid(grid_file=path, basis="lifecycle")


def test_uk_carbon_intensity_api_json(tmp_path):
    doc = {"data": [
        {"from": "2022-07-01T00:00Z", "to": "2022-07-01T00:30Z", "intensity": {"forecast": 110, "actual": 100, "index": "low"}},
        {"from": "2022-07-01T00:30Z", "to": "2022-07-01T01:00Z", "intensity": {"forecast": 130, "actual": None, "index": "low"}},
        {"from": "2022-07-01T01:00Z", "to": "2022-07-01T01:30Z", "intensity": {"forecast": 90, "actual": 80, "index": "low"}},
    ]}
    path = write(tmp_path, "uk.json", json.dumps(doc))
    series = load_grid_file(path)
    assert series.step_s == 1800 and list(series.values) == [100, 130, 80]
    choice = choose_grid(grid_file=path)
    assert choice.intensity_gco2e_per_kwh == pytest.approx(310 / 3) and choice.basis == "direct"
    assert "1 of 3 half-hours are forecasts" in choice.note


def test_bom_in_a_plain_csv(tmp_path):
    path = write(tmp_path, "g.csv", HOURLY + hours([1, 3]), encoding="utf-8-sig")
    assert load_grid_file(path).mean == 2


@pytest.mark.parametrize("body,needle", [
    ('{"data": [{"from": "x"}]}', "not a UK Carbon Intensity API response"),
    ("[1, 2]", "not a UK Carbon Intensity API response"),
    ("{", ":1: not valid JSON"),
    ("[" * 100_000, "nested too deeply"),
])
def test_bad_json_grid_files(tmp_path, body, needle):
    with pytest.raises(WattprintError, match=needle):
        load_grid_file(write(tmp_path, "g.json", body))


def test_basis_needs_a_file_with_both_columns(tmp_path):
    path = write(tmp_path, "g.csv", HOURLY + hours([1, 3]))
    from wattprint.commands.common import flag_for

    with pytest.raises(WattprintError, match="grid_basis applies to files with both columns") as info:
        choose_grid(grid_file=path, basis="direct")
    assert "--grid-basis applies" in info.value.worded(flag_for)


def test_cli_says_marginal_and_warns_on_filled_gaps(tmp_path, cli):
    path = write(tmp_path, "g.csv", HOURLY + hours([100, None, 300, 400]))
    code, out, err = cli("train", "--hardware", "a100", "--hours", "3", "--grid-file", path, "--start",
                         "2022-07-01T00:00Z", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["inputs"]["intensity_signal"] == "average"
    assert doc["inputs"]["intensity_gco2e_per_kwh"] == pytest.approx(200)
    assert any("interpolation" in a and "line 3" in a for a in doc["assumptions"])
    moer = write(tmp_path, "moer.csv", "point_time,value\n2022-07-01T00:00Z,1000\n2022-07-01T01:00Z,1000\n")
    doc = json.loads(cli("train", "--hardware", "a100", "--hours", "1", "--grid-file", moer, "--format", "json")[1])
    assert doc["inputs"]["intensity_signal"] == "marginal" and doc["inputs"]["intensity_basis"] == "direct"


def test_limits_page_lists_every_bound():
    from conftest import ROOT
    from wattprint.limits import LIMITS

    text = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    missing = [name for name in LIMITS if f"`{name}`" not in text]
    assert not missing, f"docs/limits.md does not list {missing}"


# ----------------------------------------------------------------------------- the vendor registry


def test_a_vendor_csv_added_to_the_registry_is_recognised(tmp_path, monkeypatch):
    """docs/grid-files.md: a new vendor CSV export is one recogniser in CSV_LAYOUTS."""
    from wattprint.carbon import gridfile

    def kg_per_mwh(path, header, basis):  # 'time' and 'kg_per_mwh': 1 kg/MWh = 1 g/kWh
        if "kg_per_mwh" not in header:
            return None
        return gridfile.CsvLayout(header.index("time"), header.index("kg_per_mwh"), "Example kg/MWh CSV",
                                  factor=1.0, basis="direct", source="Example")

    path = write(tmp_path, "vendor.csv", "time,kg_per_mwh\n2022-07-01T00:00Z,100\n2022-07-01T01:00Z,300\n")
    with pytest.raises(WattprintError, match="no 'timestamp' column"):
        load_grid_file(path)
    monkeypatch.setattr(gridfile, "CSV_LAYOUTS", (*gridfile.CSV_LAYOUTS, kg_per_mwh))
    series = load_grid_file(path)
    assert list(series.values) == [100, 300] and series.format == "Example kg/MWh CSV" and series.basis == "direct"
