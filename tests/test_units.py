import pytest

from wattprint.errors import WattprintError
from wattprint.units import KG_PER_LB, fmt_count, fmt_energy_j, fmt_energy_kwh, fmt_mass_kg, parse_quantity


@pytest.mark.parametrize(
    "text,dim,expected",
    [
        ("2 mJ", "energy_j", 0.002),
        ("5J", "energy_j", 5.0),
        ("3 Wh", "energy_j", 10800.0),
        ("1.5 MWh", "energy_j", 1.5 * 3.6e9),
        ("150 g", "mass_g", 150.0),
        ("12 kg", "mass_g", 12000.0),
        ("2 t", "mass_g", 2e6),
        ("40 lb", "mass_g", 40 * KG_PER_LB * 1000),
        ("1e3 mg", "mass_g", 1.0),
    ],
)
def test_parse_quantity(text, dim, expected):
    assert parse_quantity(text, dim, "max") == pytest.approx(expected)


@pytest.mark.parametrize(
    "value,dim,needle",
    [(12, "mass_g", "bare number"), ("12", "mass_g", "cannot read"), ("12 kWh", "mass_g", "not an emissions"),
     ("3 furlongs", "energy_j", "unknown unit"), ("2 kg", "energy_j", "not an energy")],
)
def test_parse_quantity_errors(value, dim, needle):
    with pytest.raises(WattprintError, match=needle):
        parse_quantity(value, dim, "max")


def test_formatting():
    assert fmt_mass_kg(0.0123) == "12.3 g"
    assert fmt_mass_kg(1234.0) == "1.23 t"
    assert fmt_mass_kg(87.0, "imperial") == "191.8 lbs"
    assert fmt_energy_kwh(201.13) == "201 kWh"
    assert fmt_energy_kwh(0) == "0 kWh"
    assert fmt_energy_j(0.0086) == "8.6 mJ"
    assert fmt_count(4.09e9) == "4.09 G"
