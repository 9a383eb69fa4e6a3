"""Pure, sans-I/O implementation of the Bluezone exposure-notification protocol.

The easy API: derive identifiers from a daily key, encode and decode advertisements,
and check diagnosis keys against what a device heard. Time and randomness are arguments.

The modules: ``keys`` (key schedule, section 1), ``advertisement`` (section 2), ``matching``
(section 3), ``upload``, ``export``, ``merkle``, ``log_leaf``, ``note`` and ``checkpoint``
(the key server's formats and the transparency log, section 4), ``risk`` (section 5),
``params`` (every constant with its rule id) and ``errors`` (``ProtocolError`` and its
subclasses). No module does I/O, reads a clock, draws randomness or starts a thread or
process: the caller does (``bluezone.reference_node``).
"""

from bluezone.protocol.advertisement import Advertisement
from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.keys import (
    Metadata,
    TemporaryExposureKey,
    decrypt_aem,
    derive_aemk,
    derive_rpi,
    derive_rpik,
    encrypt_aem,
    interval_number,
    new_temporary_exposure_key,
)
from bluezone.protocol.matching import ExposureCheck, Sighting, check_exposures, find_matches

__all__ = [
    "Advertisement",
    "ExposureCheck",
    "Metadata",
    "ProtocolError",
    "Sighting",
    "TemporaryExposureKey",
    "check_exposures",
    "decrypt_aem",
    "derive_aemk",
    "derive_rpi",
    "derive_rpik",
    "encrypt_aem",
    "find_matches",
    "interval_number",
    "new_temporary_exposure_key",
]
