"""The errors of the node: one base class, one subclass per kind of failure.

Every class carries ``code``, a snake_case name that logs, the CLI and tests use instead of
message text. Messages name the operation and the offending field or length, never a key,
an identifier or an advertising payload.
"""

from __future__ import annotations


class NodeError(Exception):
    """Base class of every error raised by ``reference_node``."""

    code = "node_error"


# --- Store and device identity (reference_node.store, reference_node.node.identity) -------


class StoreError(NodeError):
    """Base class of the store's failures (``bluezone.reference_node.store``).

    ``sqlite_error`` is SQLite's error name (e.g. ``SQLITE_CORRUPT``) when SQLite raised it.
    """

    code = "store_error"

    def __init__(self, message: str, sqlite_error: str | None = None) -> None:
        super().__init__(message)
        self.sqlite_error = sqlite_error


class StoreCorruptError(StoreError):
    """The database file is damaged or is not a SQLite database at all."""

    code = "store_corrupt"


class StoreLockedError(StoreError):
    """Another process holds the store (one node per data directory)."""

    code = "store_locked"


class StoreSchemaError(StoreError):
    """The database is SQLite but not a store this code knows how to read."""

    code = "store_schema_unknown"


class StoreSchemaTooNewError(StoreSchemaError):
    """The store was written by a newer version of this code; it is left untouched."""

    code = "store_schema_too_new"


class StoreDiskFullError(StoreError):
    """The disk, or the store's configured size cap, is full; the write was rolled back."""

    code = "store_disk_full"


class StoreIOError(StoreError):
    """The operating system failed a read or write, or the data directory is unusable."""

    code = "store_io"


class StoreClosedError(StoreError):
    """The store was used after it was closed."""

    code = "store_closed"


class InvalidRecordError(StoreError):
    """A record handed to the store has a field of the wrong type, length or range."""

    code = "store_invalid_record"


class BatchConflictError(StoreError):
    """A downloaded batch id was seen before with a different hash (a split view?)."""

    code = "store_batch_conflict"


class IdentityError(NodeError):
    """Base class of the device identity's failures (``bluezone.reference_node.node.identity``)."""

    code = "identity_error"


class RandomSourceError(IdentityError):
    """The random source gave bytes of the wrong length or repeated a key (KS-1, KS-14)."""

    code = "identity_random_source"


class RiskDataError(NodeError):
    """A labelled risk data set (directory, experiment file or positions) cannot be read."""

    code = "risk_data_error"


# --- Radio (reference_node.radio) ------------------------------------------------------------


class RadioError(NodeError):
    """Base class of radio failures (``bluezone.reference_node.radio``)."""

    code = "radio_error"


class TransportError(RadioError):
    """An HCI transport could not be opened, or was lost."""

    code = "transport_error"


class HciCommandError(RadioError):
    """The controller rejected an HCI command or did not answer it in time.

    ``command`` is the HCI command name, ``status`` the HCI error code (None on timeout).
    """

    code = "hci_command_failed"

    def __init__(self, command: str, status: int | None, reason: str) -> None:
        super().__init__(f"{command} failed: {reason}")
        self.command = command
        self.status = status


class AddressError(RadioError):
    """A device address is malformed or not of the required kind."""

    code = "invalid_address"


class AdvertisingDataError(RadioError):
    """Advertising data does not fit a legacy advertising PDU (31 octets)."""

    code = "advertising_data_too_long"


class RadioStateError(RadioError):
    """An operation was asked of a radio that is not started, or already closed."""

    code = "radio_state"


class UnsupportedOperationError(RadioError):
    """The radio or its controller cannot do what was asked (see its capabilities)."""

    code = "unsupported_operation"


class BluezError(RadioError):
    """BlueZ refused a D-Bus call (``error_name`` is its D-Bus error name)."""

    code = "bluez_error"


class ConfigurationError(RadioError):
    """A radio setting is out of the range the radio or HCI allows."""

    code = "invalid_radio_config"


class ChannelError(RadioError):
    """The channel model has no placement for a node, or a parameter is out of range."""

    code = "channel_error"


# --- Node runtime (reference_node.node) -------------------------------------------------------


class NodeConfigError(NodeError):
    """A node setting is out of range or inconsistent (duty cycle, calibration, radio name)."""

    code = "node_config"


class RadioUnavailableError(NodeError):
    """The radio named on the command line cannot be used here (backend missing or unknown)."""

    code = "radio_unavailable"


class KeySourceError(NodeError):
    """Published keys cannot be fetched: the source is unreadable or its trust key is bad."""

    code = "key_source"


class MatchingWorkerError(NodeError):
    """A process matching diagnosis keys for an exposure check ended without a result."""

    code = "matching_worker"


class NodeStateError(NodeError):
    """An operation was asked of a node that is not running, or already stopped."""

    code = "node_state"


class ReportError(NodeError):
    """A report could not be sent: a bad or spent code, a refused upload (spec SRV-3..SRV-7).

    ``reason`` is the spec's error name of the cause (``code_used``, ``hmac_mismatch``, ...).
    """

    code = "report_failed"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class LogRefusedError(KeySourceError):
    """A key server's log failed verification (spec LOG-10, LOG-11, SRV-17).

    ``kind`` is the finding: ``bad_signature``, ``rewritten_history`` or ``split_view``.
    No key of that download is used, and the checkpoint kept before stays.
    """

    code = "log_refused"

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class PlotUnavailableError(NodeError):
    """A plot was asked for but matplotlib is not installed (the ``plot`` extra)."""

    code = "plot_unavailable"
