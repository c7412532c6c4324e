"""Training plus serving: total emissions and the break-even inference count."""

from __future__ import annotations

from dataclasses import dataclass

from wattprint.energy.training import TrainingResult
from wattprint.inference import InferenceResult
from wattprint.ranges import Span


@dataclass(frozen=True)
class LifecycleResult:
    training: TrainingResult
    inference: InferenceResult
    inferences_per_day: float | None  # when the volume is a rate

    @property
    def serving_co2e_kg(self) -> float:
        return self.inference.co2e_kg or 0.0

    @property
    def total_co2e_kg(self) -> float:
        return self.training.co2e_kg + self.serving_co2e_kg

    @property
    def total_co2e_range_kg(self) -> Span:
        """Training's range plus serving's per-inference range times the volume."""
        t, per, n = self.training.co2e_range, self.inference.co2e_range_g, (self.inference.inferences or 0.0) / 1000
        return Span(t.low + per.low * n, t.central + per.central * n, t.high + per.high * n)

    @property
    def total_energy_kwh(self) -> float:
        return self.training.energy_kwh + (self.inference.energy_kwh or 0.0)

    @property
    def break_even_inferences(self) -> float | None:
        """Inferences after which serving has emitted as much as training."""
        per = self.inference.co2e_per_inference_g / 1000.0
        return self.training.co2e_kg / per if per > 0 else None

    @property
    def break_even_days(self) -> float | None:
        n = self.break_even_inferences
        if n is None or not self.inferences_per_day:
            return None
        return n / self.inferences_per_day

    @property
    def serving_share(self) -> float:
        return self.serving_co2e_kg / self.total_co2e_kg if self.total_co2e_kg else 0.0


def lifecycle(training: TrainingResult, inference: InferenceResult, inferences_per_day: float | None) -> LifecycleResult:
    return LifecycleResult(training, inference, inferences_per_day)
