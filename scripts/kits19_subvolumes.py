#!/usr/bin/env python3
"""Count the 128^3 sub-volumes MLPerf's 3D-UNet sliding window visits in KiTS19 cases.

    python scripts/kits19_subvolumes.py data/case_00000/segmentation.nii.gz [...]

Reads only the 348-byte NIfTI-1 header of each file named (.nii or .nii.gz): the volume dims and
the voxel spacing. The KiTS19 segmentation files (neheller/kits19, data/<case>/segmentation.nii.gz)
share the grid of the imaging files, so they are enough. Prints, per case, the row recorded in
cli/wattprint/refgraphs/unet3d.py (KITS19_INFERENCE_CASES), the shape after MLPerf's preprocessing
and the sub-volume count, then the mean. The case id is the name of the file's folder.
Standard library + wattprint.
"""

from __future__ import annotations

import gzip
import struct
import sys
from pathlib import Path

from wattprint.refgraphs.unet3d import preprocessed_shape, subvolumes


def read_header(path: Path) -> tuple[tuple[int, int, int], tuple[float, float]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        h = fh.read(348)
    if len(h) < 348:
        raise ValueError("shorter than a NIfTI-1 header")
    endian = "<" if struct.unpack("<i", h[:4])[0] == 348 else ">"
    if struct.unpack(endian + "i", h[:4])[0] != 348:
        raise ValueError("not a NIfTI-1 header (sizeof_hdr is not 348)")
    dim = struct.unpack(endian + "8h", h[40:56])
    pix = struct.unpack(endian + "8f", h[76:108])
    if dim[0] != 3 or pix[2] != pix[3]:
        raise ValueError(f"expected a 3-D volume with square in-plane voxels, got dim {dim}, pixdim {pix}")
    return (dim[1], dim[2], dim[3]), (float(pix[1]), float(pix[2]))


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python scripts/kits19_subvolumes.py CASE/segmentation.nii.gz [...]", file=sys.stderr)
        return 2
    total = 0
    for arg in argv:
        path = Path(arg)
        try:
            dims, spacing = read_header(path)
        except (OSError, ValueError, struct.error) as e:
            print(f"{arg}: cannot read a NIfTI header ({e})", file=sys.stderr)
            return 2
        n = subvolumes(dims, spacing)
        total += n
        print(f'("{path.parent.name}", {dims}, {spacing}),  # {preprocessed_shape(dims, spacing)}: {n}')
    print(f"cases {len(argv)}  sub-volumes {total}  mean {total / len(argv):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
