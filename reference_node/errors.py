"""The errors of the node: one base class, one subclass per kind of failure.

Every class carries ``code``, a snake_case name that logs, the CLI and tests use instead of
message text. Messages name the operation and the offending field or length, never a key,
an identifier or an advertising payload.
"""

from __future__ import annotations


class NodeError(Exception):
    """Base class of every error raised by ``reference_node``."""

    code = "node_error"


class RadioError(NodeError):
    """Base class of radio failures (``reference_node.radio``)."""

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


class ConfigurationError(RadioError):
    """A radio setting is out of the range the radio or HCI allows."""

    code = "invalid_radio_config"


class ChannelError(RadioError):
    """The channel model has no placement for a node, or a parameter is out of range."""

    code = "channel_error"
