"""Control flow: If, Loop and Scan are costed by the graph walker from their subgraphs (docs/op-counting.md)."""

from __future__ import annotations

from .registry import CONTROL, Fusion, op

op("If", "Loop", "Scan", cost=CONTROL, shape=CONTROL, fusion=Fusion.BARRIER, family="control")
