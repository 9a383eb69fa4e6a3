"""Every constant of the scheme, named as in the spec, with the rule that defines it.

Limits on anything input can grow are here too, each with its reason.
"""

from __future__ import annotations

from typing import Final

# --- Sections 1-3: key schedule, advertisement, matching -----------------------------------

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

# spec KS-5, KS-7: HKDF-SHA256 with no salt, which RFC 5869 section 2.2 defines as HashLen
# (32) zero bytes; this is that salt.
HKDF_SALT: Final = bytes(32)
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
# spec KS-6: identifiers derived in one call: 14 days of intervals, all a device could ever
# compare (MATCH-6), so a caller's count cannot make an unbounded buffer.
MAX_DERIVED_IDENTIFIERS: Final = RETENTION_INTERVALS
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
# spec ADV-1: the form with Flags (without them it is 3 bytes shorter).
AD_LENGTH_WITH_FLAGS: Final = 31

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
# The prefilter is a bitmap indexed by this many low bits of an identifier's first word:
# 2**24 bits = 2 MiB, small enough to stay in cache. With 200,000 sightings about 1.2 % of
# identifiers pass it and go on to a sorted-array check of their first 8 bytes.
PREFILTER_BITS: Final = 24

# --- Section 4: export files and the transparency log ---------------------------------------

# spec EXP-2: export.bin starts with this 16-byte header (space padded).
EXPORT_HEADER: Final = b"EK Export v1    "
# spec EXP-1: the two entries of an export archive, and nothing else.
EXPORT_BIN_NAME: Final = "export.bin"
EXPORT_SIG_NAME: Final = "export.sig"
EXPORT_ENTRY_NAMES: Final = (EXPORT_BIN_NAME, EXPORT_SIG_NAME)
# spec EXP-1: an archive holds exactly these two entries, so more is rejected before reading.
MAX_EXPORT_ENTRIES: Final = 2
# spec EXP-3: limits that bound the work a hostile archive can cause (zip bombs).
# export.bin: 16 MiB holds about 500,000 keys at about 30 bytes each, far above a GAEN batch.
MAX_EXPORT_BIN_BYTES: Final = 16 * 1024 * 1024
# export.sig: a signature list is a few hundred bytes; 64 KiB allows many signing keys.
MAX_EXPORT_SIG_BYTES: Final = 64 * 1024
# The archive itself: both entries stored plus zip headers fit well under this.
MAX_EXPORT_ARCHIVE_BYTES: Final = MAX_EXPORT_BIN_BYTES + MAX_EXPORT_SIG_BYTES + 64 * 1024
# spec EXP-1: zip compression methods a reader accepts (0 stored, 8 deflate); writers store.
EXPORT_ZIP_METHODS: Final = (0, 8)
# spec EXP-8: ECDSA P-256 with SHA-256, the only signature algorithm, as an ASN.1 OID.
EXPORT_SIGNATURE_ALGORITHM: Final = "1.2.840.10045.4.3.2"
# spec EXP-5: report type values (TemporaryExposureKey.ReportType, 0 UNKNOWN .. 5 REVOKED).
MIN_REPORT_TYPE: Final = 0
MAX_REPORT_TYPE: Final = 5
# spec EXP-5: transmission risk level (deprecated in GAEN v1.5), the range GAEN servers accept.
MIN_TRANSMISSION_RISK_LEVEL: Final = 0
MAX_TRANSMISSION_RISK_LEVEL: Final = 8
# spec EXP-5: days since onset of symptoms, the range GAEN accepts.
MIN_DAYS_SINCE_ONSET: Final = -14
MAX_DAYS_SINCE_ONSET: Final = 14
# spec EXP-9: fixed zip metadata so equal inputs give equal archives (DOS epoch 1980-01-01).
EXPORT_ZIP_DATE_TIME: Final = (1980, 1, 1, 0, 0, 0)

# spec LOG-1: RFC 9162 Merkle tree hash: SHA-256 with one-byte domain prefixes.
MERKLE_HASH_LENGTH: Final = 32
MERKLE_LEAF_PREFIX: Final = b"\x00"
MERKLE_NODE_PREFIX: Final = b"\x01"
# spec LOG-1: tree sizes and indices are uint64.
MAX_TREE_SIZE: Final = 2**64 - 1

# spec LOG-2: the batch leaf: a label then length-prefixed fields (2-byte big-endian lengths).
BATCH_LEAF_LABEL: Final = b"bluezone-batch-leaf/v1"
BATCH_LEAF_LENGTH_BYTES: Final = 2
BATCH_NUMBER_BYTES: Final = 8

# spec LOG-6: signed-note limits. C2SP requires accepting at least 16 signatures; the Go
# implementation caps at 100, which we follow. 64 KiB holds 100 Ed25519 signature lines.
MAX_NOTE_SIGNATURES: Final = 100
MAX_NOTE_BYTES: Final = 64 * 1024
# spec LOG-6: signature lines start with an em dash (U+2014) and a space.
NOTE_SIGNATURE_PREFIX: Final = "\u2014 "
NOTE_KEY_ID_BYTES: Final = 4
# spec LOG-7: signature type identifiers of C2SP signed-note.
SIGNATURE_TYPE_ED25519: Final = 0x01
SIGNATURE_TYPE_COSIGNATURE_V1: Final = 0x04
ED25519_PUBLIC_KEY_LENGTH: Final = 32
ED25519_SIGNATURE_LENGTH: Final = 64
# spec LOG-9: cosignature/v1 signed-message header and timestamp bound.
COSIGNATURE_V1_HEADER: Final = b"cosignature/v1\n"
COSIGNATURE_TIMESTAMP_BYTES: Final = 8
MAX_COSIGNATURE_TIMESTAMP: Final = 2**63 - 1
# spec LOG-8: a checkpoint body has at least origin, tree size and root hash lines.
CHECKPOINT_MIN_LINES: Final = 3

# The key server's HTTP API (SRV rules of section 4).

# spec SRV-3: verification codes: digits and capitals without 0/O, 1/I/L, so a code read
# aloud or typed from paper is unambiguous. 31 symbols, 10 of them: about 49.5 bits, so an
# online guesser held to the rate limits of SRV-14 is very unlikely to find a live code.
CODE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH: Final = 10
MIN_CODE_LENGTH: Final = 8
# spec PORTAL-7: the longest text-message link a code is read from.
MAX_CODE_LINK_CHARS: Final = 512
# spec SRV-3: a code expires 24 h after issue unless the health authority asks for less.
CODE_DEFAULT_VALIDITY_S: Final = 24 * 3600
CODE_MIN_VALIDITY_S: Final = 60
CODE_MAX_VALIDITY_S: Final = 24 * 3600
# spec SRV-3: report types a health authority may attach to a code (EXP-5 values 1..3:
# confirmed test, confirmed clinical diagnosis, self report).
CODE_REPORT_TYPES: Final = (1, 2, 3)
# spec SRV-20: a recursive code (report type 4) carries an exposure interval; revision codes
# carry report type 1 (an upgrade to a confirmed test) or 5 (revoked).
RECURSIVE_CODE_REPORT_TYPE: Final = 4
REVISION_CODE_REPORT_TYPES: Final = (1, 5)
# spec SRV-23: the revision secret's length and the label of the per-key revision tag.
REVISION_SECRET_BYTES: Final = 32
REVISION_TAG_LABEL: Final = b"bluezone-revision-tag/v1"
REVISION_TAG_BYTES: Final = 32
# spec SRV-24: report types a key may be revised to, by its current report type.
REVISION_TRANSITIONS: Final = {1: (5,), 2: (1, 5), 3: (1, 5), 4: (1, 5), 5: ()}
# spec RISK-59: the F2 level's recursive weight and per-day score threshold (ENX's
# recursivePerDaySumERVThreshold), defaults.
F2_RECURSIVE_WEIGHT: Final = 1
F2_SCORE_SUM_THRESHOLD: Final = 900
# spec SRV-4: an upload token is 32 random bytes; it lives long enough to wait out the
# embargo of the key cut at report time (KS-13: 12 intervals after the cut) with margin.
TOKEN_BYTES: Final = 32
TOKEN_VALIDITY_S: Final = 4 * 3600
# spec SRV-3, SRV-4, SRV-8: stored expiry times are rounded up to these steps, so a stored
# time does not pin the second a code was issued or exchanged.
CODE_EXPIRY_STEP_S: Final = 600
TOKEN_EXPIRY_STEP_S: Final = 3600
# spec SRV-5: the key-list HMAC is HMAC-SHA256; its secret is 16..64 random bytes.
KEY_HMAC_LENGTH: Final = 32
MIN_HMAC_SECRET_BYTES: Final = 16
MAX_HMAC_SECRET_BYTES: Final = 64
# spec SRV-6: an upload holds 1..MAX_UPLOAD_KEYS keys by default: one per day of the
# retention window (KS-11) plus today's, as GAEN devices send them. A server may allow up to
# MAX_UPLOAD_KEYS_LIMIT (GAEN's key server allows 30), never fewer than the default.
MIN_UPLOAD_KEYS: Final = 1
MAX_UPLOAD_KEYS: Final = RETENTION_DAYS + 1
MAX_UPLOAD_KEYS_LIMIT: Final = 30
# spec SRV-6: keys of one upload may overlap only when they share their rolling start, and
# at most this many share one (GAEN's MAX_SAME_START_INTERVAL_KEYS), so one code cannot
# carry the keys of many devices.
MAX_SAME_START_KEYS: Final = 3
# spec SRV-3: a symptom onset lies on a day from 28 days before today up to now, as the GAEN
# verification server requires of symptom dates.
ONSET_MAX_AGE_DAYS: Final = 28
# spec SRV-7: with no onset from the health authority, days since onset count from this many
# days before the upload day, as GAEN's key server does (DEFAULT_SYMPTOM_ONSET_DAYS_AGO = 4),
# so that EN v2 clients' infectiousness tables apply to every key.
DEFAULT_ONSET_DAYS_AGO: Final = 4
# spec SRV-10: transmission risk written for each report type, GAEN's backfill for clients
# that score with transmission risk (confirmed test 2, clinical diagnosis 4, revoked 6); other
# report types carry none, which a client reads as 0 (unknown), as GAEN writes them.
TRANSMISSION_RISK_BY_REPORT_TYPE: Final = {1: 2, 2: 4, 5: 6}
# spec SRV-2, SRV-8: request body limits. 30 keys in JSON take under 3 KiB; the padding
# field may hold up to 4 KiB so every device can send a body of the same size.
MAX_PADDING_CHARS: Final = 4096
MAX_UPLOAD_REQUEST_BYTES: Final = 8 * 1024
MAX_SMALL_REQUEST_BYTES: Final = 6 * 1024
# spec SRV-9: every batch is padded with random keys to at least this many keys, and holds
# at most this many (about 3 MiB of export.bin, far under EXP-3's limit).
MIN_BATCH_KEYS: Final = 1000
MAX_BATCH_KEYS: Final = 100_000
# spec SRV-9: the batch order key: keyed BLAKE2b over the key data, 16-byte output,
# keyed with a fresh 32-byte secret per batch.
BATCH_ORDER_SECRET_BYTES: Final = 32
BATCH_ORDER_DIGEST_BYTES: Final = 16
# spec SRV-9: bytes of randomness per padding key: 16 key bytes, then three 4-byte numbers
# choosing, each on its own, the real key whose start and period, whose report type and
# whose days since onset the padding key takes.
PADDING_KEY_RANDOM_BYTES: Final = TEK_LENGTH + 3 * 4
# spec SRV-10: the export files a server writes are signed as region-wide batch 1 of 1.
EXPORT_BATCH_NUM: Final = 1
EXPORT_BATCH_SIZE: Final = 1

# --- Section 5: risk scoring ------------------------------------------------------------------

# spec RISK-2: calibration confidence reported for each lookup fallback (ENCalibrationConfidence:
# 0 lowest = no data, 1 low = similar devices, 3 high = this model measured).
CALIBRATION_CONFIDENCE_SISTER_MODEL: Final = 1
CALIBRATION_CONFIDENCE_MANUFACTURER: Final = 1
CALIBRATION_CONFIDENCE_GLOBAL: Final = 0
# spec RISK-1: the calibration table's measured-row confidence (others are extrapolated, 1).
CALIBRATION_CONFIDENCE_MEASURED: Final = 3
# spec RISK-1: a table larger than this is refused (Google's 2020-08-12 table has 11,809 rows).
MAX_CALIBRATION_ROWS: Final = 100_000
# spec RISK-1: TX power and RSSI correction in the table are plausible dB values.
MIN_CALIBRATION_DB: Final = -127
MAX_CALIBRATION_DB: Final = 127

# spec RISK-3, RISK-9: attenuation is a whole number of dB, 0..255 (GAEN's uint8 range).
MIN_ATTENUATION_DB: Final = 0
MAX_ATTENUATION_DB: Final = 255
# spec RISK-3: a received RSSI outside this range is not a radio measurement.
MIN_RSSI_DBM: Final = -127
MAX_RSSI_DBM: Final = 20

# spec RISK-4: seconds since the previous scan are capped at the longest scan period (ADV-13),
# and the first scan of a series counts this many seconds.
MAX_SECONDS_SINCE_LAST_SCAN: Final = 300
# spec RISK-5: an exposure window spans at most 30 minutes of one key on one UTC day.
EXPOSURE_WINDOW_MAX_SECONDS: Final = 1800
SECONDS_PER_DAY: Final = 86_400

# spec RISK-6: report types (GAEN ReportType codes) and infectiousness (GAEN codes).
REPORT_TYPE_UNKNOWN: Final = 0
REPORT_TYPE_CONFIRMED_TEST: Final = 1
REPORT_TYPE_CONFIRMED_CLINICAL_DIAGNOSIS: Final = 2
REPORT_TYPE_SELF_REPORT: Final = 3
REPORT_TYPE_RECURSIVE: Final = 4
REPORT_TYPE_REVOKED: Final = 5
INFECTIOUSNESS_NONE: Final = 0
INFECTIOUSNESS_STANDARD: Final = 1
INFECTIOUSNESS_HIGH: Final = 2
# spec RISK-6: days since onset of symptoms are mapped over MIN_DAYS_SINCE_ONSET ..
# MAX_DAYS_SINCE_ONSET (-14..+14, GAEN's range, defined above for EXP-5).
# spec RISK-9: calibration confidence is 2 bits (KS-9).
MAX_CALIBRATION_CONFIDENCE: Final = 3

# spec RISK-7: configuration numbers are decimals with at most this many fractional digits and
# at most this magnitude, so exact arithmetic stays small and any language can scale them to
# integers.
RISK_MAX_DECIMAL_PLACES: Final = 6
RISK_MAX_CONFIG_NUMBER: Final = 1_000_000

# spec RISK-9: limits on what input can grow. 14 days of dense contact at one window per key
# per 30 minutes stays far below the window limit; scans start at most once a second (start
# times are whole seconds), so a 30-minute window holds at most 1800 scan instances.
MAX_EXPOSURE_WINDOWS: Final = 100_000
MAX_SCAN_INSTANCES_PER_WINDOW: Final = EXPOSURE_WINDOW_MAX_SECONDS
MAX_SECONDS_IN_SCAN_INSTANCE: Final = SECONDS_PER_DAY
# spec RISK-9: UTC day numbers (days since 1970-01-01) of windows: the uint32 interval range.
MAX_DAY: Final = (2**32 - 1) // 144
# spec RISK-8: a configuration list (ranges, mappings) holds at most this many entries.
MAX_CONFIG_LIST: Final = 64

# spec RISK-10: GAEN v2 uses 3 attenuation thresholds and 4 bucket weights; weights are 0..250 %.
V2_ATTENUATION_THRESHOLDS: Final = 3
V2_MAX_WEIGHT: Final = 2.5

# spec RISK-20: GAEN v1 score arrays hold 8 scores 0..8; a risk score is at most 8**4 = 4096.
V1_SCORE_COUNT: Final = 8
V1_MAX_SCORE: Final = 8
V1_MAX_RISK_SCORE: Final = 4096
# spec RISK-21: attenuation value buckets (upper edges, exclusive, from "> 73 dB" = index 0).
V1_ATTENUATION_BUCKET_EDGES: Final = (73, 63, 51, 33, 27, 15, 10)
# spec RISK-22: duration is counted in 5-minute steps and capped at 30 minutes.
V1_DURATION_STEP_MINUTES: Final = 5
V1_MAX_DURATION_MINUTES: Final = 30
# spec RISK-23: days since last exposure buckets (lower edges, inclusive, from ">= 14" = index 0).
V1_DAYS_BUCKET_EDGES: Final = (14, 12, 10, 8, 6, 4, 2)
# spec RISK-24: attenuation durations of the summary are capped at 30 minutes per bucket.
V1_MAX_ATTENUATION_DURATION_MINUTES: Final = 30
# spec RISK-20, RISK-30: transmission risk levels run 1..8.
RISK_MIN_TRANSMISSION_RISK_LEVEL: Final = 1
RISK_MAX_TRANSMISSION_RISK_LEVEL: Final = 8

# spec RISK-35: CWA risk levels (RiskCalculationParameters RiskLevel enum).
CWA_RISK_LEVEL_LOW: Final = 1
CWA_RISK_LEVEL_HIGH: Final = 2

# spec RISK-50..RISK-56: bounds on the proximity profile's parameters (configuration checks).
PROXIMITY_MAX_DISTANCE_M: Final = 100.0
PROXIMITY_MAX_VARIANCE_DB2: Final = 10_000.0
PROXIMITY_MAX_PROCESS_VARIANCE: Final = 10.0
PROXIMITY_MAX_LOG_VARIANCE: Final = 100.0
# spec RISK-51: a scan instance advances the random walk by at least one second.
PROXIMITY_MIN_SECONDS: Final = 1

# --- Appendix A1: the Bluezone 2020 profile (read-only) --------------------------------------

# spec BZ20-2: base keys and daily keys are 32 bytes (the app draws an HmacSHA256 key).
BZ20_KEY_LENGTH: Final = 32
# spec BZ20-3: the sub-key salt, spelled as in the app, and the 12 offsets a BLID picks.
BZ20_SUBKEY_SALT: Final = b"bluzonesubkey"
BZ20_BLID_OFFSETS: Final = (0, 4, 8, 12, 16, 18, 20, 22, 24, 26, 28, 30)
BZ20_BLID_LENGTH: Final = len(BZ20_BLID_OFFSETS)
# spec BZ20-4: slots per day divide the day into whole seconds; at most one a minute, which
# bounds a check's work at 1440 hashes per key and day. 96 in v3 and in the captured 2.0.4
# traffic, 144 in the v2.0.0 source.
BZ20_MAX_SLOTS_PER_DAY: Final = 1440
BZ20_SLOTS_PER_DAY_V3: Final = 96
BZ20_SLOTS_PER_DAY_V2: Final = 144
# spec BZ20-4, BZ20-10: times are unix seconds in the uint32 range.
BZ20_MAX_TIME: Final = 2**32 - 1
# spec BZ20-5: the Android advertisement's 16-bit service UUID ("VN") and company id.
BZ20_SERVICE_UUID16: Final = 0x4E56
BZ20_COMPANY_ID: Final = 0x22B5
AD_TYPE_MANUFACTURER_DATA: Final = 0xFF
# spec BZ20-10: a push lists at most this many F0 daily keys; the app's sample push holds
# one, and a day's national reports in 2020 were a few dozen.
BZ20_MAX_PUSH_ENTRIES: Final = 1024
# spec WIT-1: a tlog-witness add-checkpoint request carries at most 63 proof lines (C2SP);
# its body is the old size line, the proof lines, a blank line and a signed note.
MAX_WITNESS_PROOF_LINES: Final = 63
MAX_ADD_CHECKPOINT_BYTES: Final = MAX_NOTE_BYTES + 64 * 64
# spec WIT-2: the media type of a witness's 409 answer (its known tree size).
TLOG_SIZE_CONTENT_TYPE: Final = "text/x.tlog.size"

# spec DENY-3: a device's chaff: 16 random bytes per chaff (8 for the gap, 8 for the pause),
# and the pause between its token request and its upload spans a real device's wait for
# the embargo of today's key (KS-12).
CHAFF_RANDOM_BYTES: Final = 16
CHAFF_MAX_PAUSE_S: Final = 2 * 3600
