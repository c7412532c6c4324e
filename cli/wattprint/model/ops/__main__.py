"""``python -m wattprint.model.ops [--write DOC]``: print the op table, or rewrite it inside DOC."""

from __future__ import annotations

import sys

from . import table


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--write":
        with open(argv[1], encoding="utf-8") as f:
            doc = f.read()
        new = table.splice(doc)
        if new != doc:
            with open(argv[1], "w", encoding="utf-8") as f:
                f.write(new)
        return 0
    if argv:
        sys.stderr.write("usage: python -m wattprint.model.ops [--write docs/op-counting.md]\n")
        return 2
    sys.stdout.write(table.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
