"""Distance thresholds for 1:1 verification and 1:N identification.

How the shipped 1:1 default was chosen (see docs/biometrics.md): we encoded the 444
images of the LFW dev fold with the enrollment pipeline (:class:`biometrics.FacePipeline`)
and took the distances of impostor pairs (different people). The threshold sits where at
most 0.1% of the impostor pairs fall below it, half the 0.2% false-accept budget, so that
the budget holds with margin on people we have not measured. Gate probes are compared with
those templates: a 5-point single-frame probe reached only 92.0% genuine accepts at 0.54,
so the agent encodes with the enrollment alignment instead (``FaceStream``: 68 points,
mirror-averaged across frames; 93.0-93.7% at 0.136% false accepts), and its impostor
quantiles chose 0.54 again (``bench/bench_gate_accuracy.py``). Identification compares a
probe with every enrolled person, so its false accepts grow with the gallery size; its
default is stricter.
"""

from __future__ import annotations

# One source for the shipped values: gate policies and replicas carry them too.
from gate_protocol.thresholds import DEFAULT_IDENTIFY_THRESHOLD, DEFAULT_VERIFY_THRESHOLD
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DEFAULT_IDENTIFY_THRESHOLD", "DEFAULT_VERIFY_THRESHOLD", "FaceThresholds"]


class FaceThresholds(BaseModel):
    """Per-gate face distance thresholds (a face matches when its distance is below).

    Attributes:
        verify: 1:1 threshold against the templates of the claimed person.
        identify: 1:N threshold for face-only identification; must be stricter.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    verify: float = Field(
        default=DEFAULT_VERIFY_THRESHOLD,
        gt=0.0,
        le=1.0,
        description="1:1 verification: maximum distance to the claimed person's templates.",
    )
    identify: float = Field(
        default=DEFAULT_IDENTIFY_THRESHOLD,
        gt=0.0,
        le=1.0,
        description="1:N identification: maximum distance; stricter than `verify`.",
    )

    @model_validator(mode="after")
    def _identify_is_stricter(self) -> FaceThresholds:
        if self.identify > self.verify:
            raise ValueError(
                f"identify threshold {self.identify} must not be looser than verify {self.verify}"
            )
        return self
