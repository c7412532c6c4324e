"""User grid files: constant and time series, YAML and CSV, and their errors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from wattprint.carbon import GridSeries, Region, choose_grid, load_grid_file, parse_start
from wattprint.errors import WattprintError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_constant_yaml(tmp_path):
    path = write(tmp_path, "g.yaml", "name: my dc\nintensity_gco2e_per_kwh: 123.5\nbasis: lifecycle\nyear: 2023\nsource: utility bill\n")
    grid = load_grid_file(path)
    assert isinstance(grid, Region) and grid.intensity_gco2e_per_kwh == 123.5 and grid.basis == "lifecycle"
    choice = choose_grid(grid_file=path)
    assert choice.kind == "grid-file" and choice.intensity_gco2e_per_kwh == 123.5


def test_csv_series_mean_and_window(tmp_path):
    rows = "".join(f"2022-01-01T{h:02d}:00:00+00:00,{v}\n" for h, v in enumerate([100, 200, 300, 400]))
    path = write(tmp_path, "g.csv", "timestamp,intensity_gco2e_per_kwh\n" + rows)
    series = load_grid_file(path)
    assert isinstance(series, GridSeries) and series.step_s == 3600
    assert series.mean == 250
    start = datetime(2022, 1, 1, 0, 30, tzinfo=timezone.utc)
    # 0:30-1:00 at 100, 1:00-2:00 at 200, 2:00-2:30 at 300 -> (50 + 200 + 150) / 2 = 200
    assert series.average_over(start, 2) == pytest.approx(200)


def test_fifteen_minute_series_and_naive_timestamps_are_utc(tmp_path):
    rows = "".join(f"2022-01-01 00:{m:02d},{10 * (i + 1)}\n" for i, m in enumerate((0, 15, 30, 45)))
    series = load_grid_file(write(tmp_path, "g.csv", "timestamp,avg_CI\n" + rows))
    assert series.step_s == 900 and series.start == datetime(2022, 1, 1, tzinfo=timezone.utc)
    assert series.average_over(parse_start("2022-01-01T00:15Z"), 0.5) == pytest.approx(25)


def test_yaml_series(tmp_path):
    path = write(tmp_path, "g.yaml", "series:\n  - {timestamp: 2022-07-01T00:00Z, intensity_gco2e_per_kwh: 10}\n"
                                    "  - {timestamp: 2022-07-01T01:00Z, intensity_gco2e_per_kwh: 30}\n")
    series = load_grid_file(path)
    assert series.mean == 20


@pytest.mark.parametrize(
    "body,needle",
    [
        ("2022-01-01T00:00Z,1\n2022-01-01T00:00Z,2\n", ":3: duplicate timestamp"),
        ("2022-01-01T01:00Z,1\n2022-01-01T00:00Z,2\n", ":3: timestamp 2022-01-01T00:00Z is before"),
        ("2022-01-01T00:00Z,1\n2022-01-01T01:00Z,2\n2022-01-01T01:30Z,2\n", ":4: irregular step"),
        ("2022-01-01T00:00Z,1\n2022-01-01T01:00Z,x\n", ":3: column 'intensity_gco2e_per_kwh': intensity 'x' is not a number"),
        ("2022-01-01T00:00Z,1\n2022-01-01T01:00Z,-4\n", ":3: column 'intensity_gco2e_per_kwh': intensity '-4'"),
        ("2022-01-01T00:00Z,1\nlater,2\n", ":3: timestamp 'later' is not ISO 8601"),
        ("2022-01-01T00:00Z,1\n2022-01-01T02:00Z,1\n", "use hourly or finer"),
        ("2022-01-01T00:00Z,1\n", "at least 2 points"),
    ],
)
def test_csv_series_errors_name_file_and_line(tmp_path, body, needle):
    path = write(tmp_path, "g.csv", "timestamp,intensity_gco2e_per_kwh\n" + body)
    with pytest.raises(WattprintError) as err:
        load_grid_file(path)
    assert needle in str(err.value) and str(path) in str(err.value)


def test_csv_header_errors(tmp_path):
    with pytest.raises(WattprintError, match="no intensity column"):
        load_grid_file(write(tmp_path, "a.csv", "timestamp,kwh\n2022-01-01,1\n"))
    with pytest.raises(WattprintError, match="no 'timestamp' column"):
        load_grid_file(write(tmp_path, "b.csv", "time,avg_ci\n2022-01-01,1\n"))


@pytest.mark.parametrize(
    "text,needle",
    [
        ("intensity_gco2e_per_kwh: 100\ncolour: red\n", "unknown field 'colour'"),
        ("name: x\n", "exactly one of"),
        ("intensity_gco2e_per_kwh: lots\n", "not a number"),
        ("intensity_gco2e_per_kwh: 100000\n", "implausible"),
        ("intensity_gco2e_per_kwh: 100\nbasis: vibes\n", "field 'basis'"),
        ("series:\n  - {timestamp: 2022-07-01T00:00Z}\n", ":2: series[0]"),
        ("series:\n  - {timestamp: 2022-07-01T00:00Z, intensity_gco2e_per_kwh: 1}\n"
         "  - {timestamp: 2022-07-01T00:00Z, intensity_gco2e_per_kwh: 1}\n", ":3: series[1]: duplicate"),
    ],
)
def test_yaml_grid_errors(tmp_path, text, needle):
    path = write(tmp_path, "g.yaml", text)
    with pytest.raises(WattprintError) as err:
        load_grid_file(path)
    assert needle in str(err.value)


def test_run_beyond_series_is_an_error(tmp_path):
    rows = "".join(f"2022-01-01T{h:02d}:00Z,{h}\n" for h in range(3))
    series = load_grid_file(write(tmp_path, "g.csv", "timestamp,intensity_gco2e_per_kwh\n" + rows))
    with pytest.raises(WattprintError, match="extends beyond the grid series"):
        series.average_over(parse_start("2022-01-01T01:00Z"), 5)
    with pytest.raises(WattprintError, match="extends beyond"):
        series.average_over(parse_start("2021-12-31T23:00Z"), 1)


def test_start_without_grid_file_is_an_error():
    from wattprint.commands.common import flag_for

    with pytest.raises(WattprintError, match="^start needs an hourly grid_file") as info:  # the core names fields
        choose_grid(start=parse_start("2022-01-01T00:00Z"))
    assert info.value.field == "start" and info.value.worded(flag_for).startswith("--start needs an hourly --grid-file")


def test_real_hourly_file_from_shared_datasets():
    """The hpe_dcrl EIA-930 derived series (when the shared datasets sit beside the checkout)."""
    from conftest import ROOT

    path = ROOT.parent / "shared" / "datasets" / "hpe_dcrl_hourly_2022" / "AZPS_hourly_2022.csv"
    if not path.is_file():
        pytest.skip("shared datasets not present")
    series = load_grid_file(path)
    assert len(series.values) == 8760 and series.step_s == 3600
    july = series.average_over(parse_start("2022-07-01T00:00Z"), 24 * 31)
    assert 100 < july < 1000
