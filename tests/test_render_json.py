"""The JSON writer: a table of records (``render.Records``) is written one record per line, its numbers rounded as
everywhere in the JSON output (6 decimals, or 6 significant digits when tiny or huge; NaN and infinity: null)."""

from __future__ import annotations

import enum
import json

from wattprint.render import Records, to_json


class Level(enum.IntEnum):
    HIGH = 2


ROWS = [
    ('a"é\n', 3, 0.1234567891, -0.0, None, True, [1, 128], (2.5e-9, 1234567.891)),
    ("b", 2**70, 0.0, float("nan"), "x", False, [], [True, None, float("inf")]),
    ("c", Level.HIGH, 1e-4, 2e6, {"k": 0.30000000000000004}, False, (3,), ()),
    ('a"é\n', 3, 0.1234567891, 0.0, None, True, [1, 128], (2.5e-9, 1234567.891)),
]
KEYS = ("name", "n", "f", "z", "opt", "flag", "shape", "pair%s")


def test_records_are_written_one_per_line_with_rounded_numbers():
    text = to_json({"rows": Records(ROWS, KEYS, lambda row: row), "n": 1})
    assert text == (
        '{\n  "rows": [\n'
        '    {"name": "a\\"é\\n", "n": 3, "f": 0.123457, "z": -0.0, "opt": null, "flag": true, "shape": [1, 128], '
        '"pair%s": [2.5e-09, 1234570.0]},\n'
        '    {"name": "b", "n": 1180591620717411303424, "f": 0.0, "z": null, "opt": "x", "flag": false, "shape": [], '
        '"pair%s": [true, null, null]},\n'
        '    {"name": "c", "n": 2, "f": 0.0001, "z": 2000000.0, "opt": {"k": 0.3}, "flag": false, "shape": [3], '
        '"pair%s": []},\n'
        # (the same values again: -0.0 above, 0.0 here)
        '    {"name": "a\\"é\\n", "n": 3, "f": 0.123457, "z": 0.0, "opt": null, "flag": true, "shape": [1, 128], '
        '"pair%s": [2.5e-09, 1234570.0]}\n'
        '  ],\n  "n": 1\n}\n'
    )
    assert [row["name"] for row in json.loads(text)["rows"]] == ['a"é\n', "b", "c", 'a"é\n']


def test_records_read_as_dicts():
    records = Records(ROWS, KEYS, lambda row: row)
    assert len(records) == 4 and records[2]["opt"] == {"k": 0.30000000000000004}
    assert [r["n"] for r in records] == [3, 2**70, 2, 3]
    assert to_json({"rows": Records([], KEYS, lambda row: row)}) == '{\n  "rows": []\n}\n'
