"""The errors of risk scoring (spec section 5), each with the error name the spec defines."""

from __future__ import annotations

from bluezone.protocol.errors import ProtocolError


class RiskError(ProtocolError):
    """Base class of every risk-scoring failure (RISK-8)."""

    code = "risk_error"


class InvalidConfigurationError(RiskError):
    """A scorer configuration is malformed, mistyped or out of range (RISK-8)."""

    code = "invalid_risk_configuration"


class InvalidExposureWindowError(RiskError):
    """An exposure window or scan instance is malformed or out of range (RISK-9)."""

    code = "invalid_exposure_window"


class InvalidCalibrationTableError(RiskError):
    """The calibration table text cannot be parsed (RISK-1)."""

    code = "invalid_calibration_table"


class InvalidSightingError(RiskError):
    """A sighting or scan handed to aggregation is out of range or out of order (RISK-4)."""

    code = "invalid_sighting"


class InvalidGroundTruthError(RiskError):
    """Evaluation input (scores, labels, options) is malformed (evaluation, not normative)."""

    code = "invalid_evaluation_input"
