"""com.microsoft data-movement ops (ExpandDims, Crop, RemovePadding, RestorePadding, Tokenizer, ...)."""

from __future__ import annotations

from ..costs import MS
from .base import Counts, OpView
from .elementwise import _sh_same
from .registry import Fusion, op
from .tensor import _sh_pad, _sh_range

@op('ExpandDims', domains=(MS,), shape=None, fusion=Fusion.VIEW)
@op('Crop', 'Tokenizer', 'RemovePadding', 'RestorePadding', domains=(MS,), shape=None)
@op('Pad', domains=(MS,), shape=_sh_pad)
@op('Range', domains=(MS,), shape=_sh_range, values=3, fusion=Fusion.BARRIER)
@op('Trilu', domains=(MS,), shape=_sh_same, values=1)
@op('Unique', domains=(MS,), shape=None, fusion=Fusion.BARRIER)
def _ms_movement(v: OpView) -> Counts:
    return Counts()
