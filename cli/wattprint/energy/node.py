"""The node around the accelerators: host CPUs, memory, fans and power-supply losses.

A node with N accelerators, all serving, draws at the wall (docs/methodology.md, "Node model")::

    P_host  = base + u_cpu x sum(CPU TDP) + DRAM_W_PER_GB x host memory + other_w      (fixed while serving)
    P_wall  = (P_host + N x (1 + o) x P_acc) / psu_efficiency

base (the platform: BMC, fans at rest, NICs, drives, board), u_cpu (host CPU draw / TDP while feeding the
accelerators) and o (fans, VRMs and PCIe switches as a share of
the accelerator power) are fitted on the MLPerf wall-power measurements; the CPU TDPs, memory and any fixed
figure come from the system profile; the DRAM figure is Green Algorithms' and the power-supply efficiency
80 PLUS Platinum's at half load. One accelerator's share of the node is P_host / N.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from wattprint.energy.device import Coefficients

#: Green Algorithms v3.0 reference value (memoryPower), as in the training model
DRAM_W_PER_GB = 0.3725
#: 80 PLUS Platinum requirement at 50% load (redundant data-centre supplies): 94% efficient
PSU_EFFICIENCY = 0.94


@dataclass(frozen=True)
class NodeModel:
    system_id: str
    system_name: str
    accelerators: int  # accelerators in the node
    host_w: float  # fixed host draw while serving (before supply losses)
    host_basis: str
    overhead_per_accelerator: float
    psu_efficiency: float
    boundary: str = "node"  # "node": AC input of the node

    @property
    def host_share_w(self) -> float:
        """One accelerator's share of the fixed host draw, at the wall."""
        return self.host_w / self.accelerators / self.psu_efficiency

    def system_energy_j(self, accelerator_energy_j: float, time_s: float) -> float:
        """Energy at the node's wall for one accelerator's work of ``time_s`` seconds (all accelerators busy)."""
        return (1 + self.overhead_per_accelerator) * accelerator_energy_j / self.psu_efficiency + self.host_share_w * time_s

    def wall_power_w(self, accelerator_power_w: float, busy: int | None = None) -> float:
        n = self.accelerators if busy is None else busy
        return (self.host_w + n * (1 + self.overhead_per_accelerator) * accelerator_power_w) / self.psu_efficiency

    def doc(self) -> dict[str, Any]:
        return {
            "system": self.system_id,
            "system_name": self.system_name,
            "accelerators_per_node": self.accelerators,
            "host_power_w": self.host_w,
            "host_basis": self.host_basis,
            "overhead_per_accelerator": self.overhead_per_accelerator,
            "psu_efficiency": self.psu_efficiency,
        }


def node_model(
    *,
    system_id: str,
    system_name: str,
    accelerators: int,
    cpu_tdp_w: float,
    memory_gb: float,
    other_w: float,
    coefficients: Coefficients,
    psu_efficiency: float | None = None,
) -> NodeModel:
    cpu = coefficients.host_cpu_utilization * cpu_tdp_w
    dram = DRAM_W_PER_GB * memory_gb
    host = coefficients.host_base_w + cpu + dram + other_w
    basis = (
        f"{coefficients.host_base_w:.0f} W platform + {coefficients.host_cpu_utilization:.2f} x {cpu_tdp_w:g} W CPU TDP"
        f" + {memory_gb:g} GB x {DRAM_W_PER_GB} W/GB" + (f" + {other_w:g} W other" if other_w else "")
    )
    return NodeModel(
        system_id=system_id,
        system_name=system_name,
        accelerators=max(1, accelerators),
        host_w=host,
        host_basis=basis,
        overhead_per_accelerator=coefficients.host_overhead_per_accelerator,
        psu_efficiency=psu_efficiency or PSU_EFFICIENCY,
    )


def system_node(system: Any, coefficients: Coefficients) -> tuple[NodeModel, tuple[str, ...]]:
    """The node model of a system profile (:class:`wattprint.systems.SystemProfile`), and what it lacks."""
    missing = []
    cpu = system.host_cpu_tdp_w
    if cpu is None:
        cpu = 0.0
        missing.append(f"system {system.id!r} has no published host CPU TDP: host CPU power not counted")
    memory = system.host_memory_gb
    if memory is None:
        memory = 0.0
        missing.append(f"system {system.id!r} has no published host memory: DRAM power not counted")
    node = node_model(
        system_id=system.id,
        system_name=system.name,
        accelerators=system.accelerator_count or 1,
        cpu_tdp_w=cpu,
        memory_gb=memory,
        other_w=system.other_w or 0.0,
        coefficients=coefficients,
        psu_efficiency=system.psu_efficiency,
    )
    return node, tuple(missing)
