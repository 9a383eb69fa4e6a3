"""Every constant of the scheme, named as in the spec, with the rule that defines it.

Limits on anything input can grow are here too, each with its reason.
"""

from __future__ import annotations

from typing import Final

# spec KS-1: a temporary exposure key is 16 bytes from a CSPRNG.
TEK_LENGTH: Final = 16
# spec KS-5, KS-7: RPIK and AEMK are 16-byte AES-128 keys.
DERIVED_KEY_LENGTH: Final = 16
# spec KS-6: a rolling proximity identifier is one AES block.
RPI_LENGTH: Final = 16
# spec KS-8, KS-9: associated encrypted metadata is as long as the metadata.
METADATA_LENGTH: Final = 4
AEM_LENGTH: Final = METADATA_LENGTH

# spec KS-2: ENIntervalNumber = floor(unix seconds / 600), a uint32.
INTERVAL_SECONDS: Final = 600
MAX_INTERVAL: Final = 2**32 - 1
# spec KS-3: one UTC day holds 144 intervals; keys start at UTC midnight.
INTERVALS_PER_DAY: Final = 144
# spec KS-4: rolling period range.
MIN_ROLLING_PERIOD: Final = 1
MAX_ROLLING_PERIOD: Final = INTERVALS_PER_DAY

# spec KS-5, KS-7: HKDF-SHA256 with an empty salt (RFC 5869 turns it into 32 zero bytes).
HKDF_SALT: Final = b""
RPIK_INFO: Final = b"EN-RPIK"
AEMK_INFO: Final = b"EN-AEMK"
# spec KS-6: PaddedData = "EN-RPI" || six zero bytes || interval as uint32 little-endian.
RPI_PREFIX: Final = b"EN-RPI" + bytes(6)

# spec KS-9: metadata byte 0 layout.
METADATA_MAJOR_SHIFT: Final = 6
METADATA_MINOR_SHIFT: Final = 4
METADATA_CONFIDENCE_SHIFT: Final = 2
# spec KS-9, KS-10: the only major version this spec defines, and the minor we send.
METADATA_MAJOR_VERSION: Final = 1
METADATA_MINOR_VERSION: Final = 0
# spec KS-9: TX power is a signed byte.
MIN_TX_POWER: Final = -128
MAX_TX_POWER: Final = 127

# spec KS-11, MATCH-6: keys and sightings are kept 14 days.
RETENTION_DAYS: Final = 14
RETENTION_INTERVALS: Final = RETENTION_DAYS * INTERVALS_PER_DAY
# spec KS-12, MATCH-8: a key is published 2 h (12 intervals) after its period ended.
EMBARGO_INTERVALS: Final = 12

# spec ADV-1: Bluetooth SIG 16-bit UUID assigned to Exposure Notification.
SERVICE_UUID16: Final = 0xFD6F
# spec ADV-1: AD types (Bluetooth Assigned Numbers, Common Data Types).
AD_TYPE_FLAGS: Final = 0x01
AD_TYPE_COMPLETE_UUID16_LIST: Final = 0x03
AD_TYPE_SERVICE_DATA_UUID16: Final = 0x16
# spec ADV-1: LE General Discoverable | simultaneous LE and BR/EDR (controller, host), as GAEN.
AD_FLAGS_VALUE: Final = 0x1A
# spec ADV-1: service data after the UUID is RPI || AEM.
SERVICE_DATA_LENGTH: Final = RPI_LENGTH + AEM_LENGTH
# spec ADV-4: legacy advertising data is at most 31 octets (Core Spec Vol 6 Part B 2.3.1).
MAX_LEGACY_AD_LENGTH: Final = 31
# spec ADV-1: the two forms on air.
AD_LENGTH_WITH_FLAGS: Final = 31
AD_LENGTH_WITHOUT_FLAGS: Final = 28

# spec ADV-2: advertising interval recommended by GAEN's Bluetooth specification.
ADVERTISING_INTERVAL_MIN_MS: Final = 200
ADVERTISING_INTERVAL_MAX_MS: Final = 270
# spec ADV-3: identifier and address rotate at every interval boundary plus this jitter.
ROTATION_JITTER_MAX_S: Final = 60
# spec ADV-13: scan duty cycle recommendation.
SCAN_WINDOW_S: Final = 4
SCAN_PERIOD_MIN_S: Final = 120
SCAN_PERIOD_MAX_S: Final = 300

# spec MATCH-3: a sighting matches an identifier within +-12 intervals (2 h) of its interval.
MATCH_TOLERANCE_INTERVALS: Final = 12
# spec MATCH-7: decrypted TX power outside this range is implausible and discarded.
PLAUSIBLE_TX_POWER_MIN: Final = -50
PLAUSIBLE_TX_POWER_MAX: Final = 20

# Matching engine limits (MATCH-9). Keys are expanded in chunks so memory stays bounded:
# each key expands to 144 * 16 = 2,304 bytes, so 4,096 keys use about 9 MiB at a time.
MATCH_CHUNK_KEYS: Final = 4096
# PaddedData is precomputed once for the intervals the sightings span, up to this many
# (about 128 KiB); sightings spread wider (never in a real store: MATCH-6) fall back to
# building each key's blocks, which is slower but bounded.
PADDED_CACHE_INTERVALS: Final = 8192
# Below this many keys a process pool costs more to start than it saves.
PARALLEL_MIN_KEYS: Final = 20_000
# The prefilter is a bitmap indexed by this many low bits of an identifier's first word:
# 2**24 bits = 2 MiB, small enough to stay in cache. With 200,000 sightings about 1.2 % of
# identifiers pass it and go on to a sorted-array check of their first 8 bytes.
PREFILTER_BITS: Final = 24
