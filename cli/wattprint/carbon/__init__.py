"""Grid carbon intensity and datacenter overhead: what turns an estimate's energy into emissions.

- :mod:`~wattprint.carbon.regions`: the shipped regions (yearly averages with sources), lookup and search;
- :mod:`~wattprint.carbon.series`: grid intensity time series, their gaps, windows and best start;
- :mod:`~wattprint.carbon.gridfile`: user grid files in every format read (wattprint YAML/CSV, vendor exports);
- :mod:`~wattprint.carbon.fastcsv`: the numpy block parser for big CSV series;
- :mod:`~wattprint.carbon.intensity`: the intensity an estimate uses (:func:`choose_grid`);
- :mod:`~wattprint.carbon.pue`: the PUE an estimate uses (:func:`choose_pue`).

Intensities are gCO2e per kWh. Nothing here imports numpy at import time.
"""

from __future__ import annotations

from wattprint.carbon.gridfile import load_grid_file
from wattprint.carbon.intensity import GridChoice, choose_grid
from wattprint.carbon.pue import PUEChoice, choose_pue
from wattprint.carbon.regions import DEFAULT_REGION, Region, RegionDB, load_regions
from wattprint.carbon.series import GridSeries, parse_start

__all__ = [
    "DEFAULT_REGION", "GridChoice", "GridSeries", "PUEChoice", "Region", "RegionDB", "choose_grid", "choose_pue",
    "load_grid_file", "load_regions", "parse_start",
]
