"""Deliberately broken variants of the reference adapter: the suite must catch every one.

Each mutant is one realistic mistake, launched as ``python -m bluezone.interop_tests.mutants.NAME``.
``python -m bluezone.interop_tests.mutants`` runs the whole suite against each and prints the
mutation score. The table in README.md beside this file lists what each one breaks.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mutant:
    """A broken adapter: what it gets wrong, the rules that say so, the topics that catch it."""

    name: str
    breaks: str
    rules: tuple[str, ...]
    topics: tuple[str, ...]

    def command(self) -> str:
        """The command line that starts this mutant adapter."""
        return f'"{sys.executable}" -m bluezone.interop_tests.mutants.{self.name}'


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "interval_big_endian",
        "PaddedData carries the interval big-endian",
        ("KS-6",),
        ("key-schedule",),
    ),
    Mutant(
        "hkdf_swapped_info",
        "RPIK derived with info EN-AEMK and AEMK with EN-RPIK",
        ("KS-5", "KS-7"),
        ("key-schedule",),
    ),
    Mutant(
        "hkdf_salt_tek",
        "HKDF salted with the TEK instead of the empty salt",
        ("KS-5", "KS-7"),
        ("key-schedule",),
    ),
    Mutant(
        "tek_length_unchecked",
        "TEKs of any length are accepted (HKDF takes any input)",
        ("KS-1",),
        ("key-schedule",),
    ),
    Mutant(
        "aem_ecb",
        "AEM is AES-ECB of the zero-padded metadata instead of AES-CTR",
        ("KS-8",),
        ("key-schedule",),
    ),
    Mutant(
        "aem_wrong_key",
        "AEM encrypted with the RPIK instead of the AEMK",
        ("KS-8",),
        ("key-schedule",),
    ),
    Mutant(
        "aem_zero_counter",
        "AEM in CTR mode from a zero counter block instead of the RPI",
        ("KS-8",),
        ("key-schedule",),
    ),
    Mutant(
        "decoder_lenient_length",
        "decoder accepts 20 or more octets of service data (21-byte service data passes)",
        ("ADV-11",),
        ("advertisement",),
    ),
    Mutant(
        "decoder_ignores_padding",
        "decoder stops at a zero length octet without checking the octets after it",
        ("ADV-6",),
        ("advertisement",),
    ),
    Mutant(
        "decoder_hangs_on_zero_length",
        "decoder 'skips' a zero length octet without advancing and loops forever",
        ("ADV-6", "IOP-18"),
        ("advertisement",),
    ),
    Mutant(
        "decoder_crashes_on_garbage",
        "decoder trusts length octets and the adapter has no catch-all: short input kills it",
        ("ADV-5", "IOP-4"),
        ("advertisement",),
    ),
    Mutant(
        "match_no_tolerance",
        "a sighting matches only in its RPI's own interval",
        ("MATCH-3",),
        ("matching",),
    ),
    Mutant(
        "match_tolerance_13",
        "the matching tolerance is 13 intervals instead of 12",
        ("MATCH-3",),
        ("matching",),
    ),
    Mutant(
        "match_ignores_rolling_period",
        "every key expands to 144 RPIs whatever its rolling_period",
        ("MATCH-2",),
        ("matching",),
    ),
    Mutant(
        "match_no_dedup",
        "duplicate keys are all matched; a sighting can match several keys",
        ("MATCH-4", "MATCH-5"),
        ("matching",),
    ),
    Mutant(
        "desync_on_unparseable",
        "a request line that does not parse gets no answer, shifting every later answer",
        ("IOP-4", "IOP-6"),
        ("adapter",),
    ),
    Mutant(
        "unknown_op_internal",
        "an unknown op is answered internal instead of unsupported",
        ("IOP-7",),
        ("adapter",),
    ),
    Mutant(
        "uppercase_hex",
        "byte strings are written as uppercase hex",
        ("IOP-8",),
        ("key-schedule",),
    ),
    Mutant(
        "v2_ignores_infectiousness",
        "the window score leaves out the infectiousness weight",
        ("RISK-12",),
        ("risk-v2",),
    ),
    Mutant(
        "v2_ignores_report_type",
        "the window score leaves out the report type weight, so a recursive report counts as "
        "confirmed",
        ("RISK-12",),
        ("risk-v2",),
    ),
    Mutant(
        "cwa_rounds_day_sum",
        "each day's normalized time is rounded to one decimal (CWA Android since "
        "EXPOSUREAPP-12211)",
        ("RISK-36",),
        ("risk-cwa",),
    ),
    Mutant(
        "cwa_rounds_window_time",
        "each window's normalized time is rounded to one decimal before its level and the day sum",
        ("RISK-35",),
        ("risk-cwa",),
    ),
    Mutant(
        "cwa_float_sums",
        "normalized times are binary doubles summed in window order (CWA iOS)",
        ("RISK-7",),
        ("risk-cwa",),
    ),
    # The F0 -> F1 -> F2 chain: recursive uploads, revisions, levels.
    Mutant(
        "recursive_keeps_earlier_days",
        "a recursive upload keeps the keys of days before the exposure day",
        ("SRV-21",),
        ("recursive",),
    ),
    Mutant(
        "revisions_ignored",
        "revised keys are ignored: a key keeps the report type of its first copy, so a revoked "
        "alert is never withdrawn",
        ("MATCH-11",),
        ("recursive",),
    ),
    Mutant(
        "recursive_counts_as_f1",
        "RECURSIVE windows count towards F1 like confirmed ones, so a contact of a contact is F1",
        ("RISK-59",),
        ("recursive",),
    ),
    # Section 4: export files and the transparency log.
    Mutant(
        "leaf_hash_no_prefix",
        "leaves are hashed as SHA-256(data), without the 0x00 prefix",
        ("LOG-1",),
        ("merkle",),
    ),
    Mutant(
        "inclusion_ignores_trailing_hashes",
        "the inclusion verifier stops at the root and ignores any hashes after it",
        ("LOG-3",),
        ("merkle",),
    ),
    Mutant(
        "consistency_equal_sizes_unchecked",
        "a consistency proof between equal sizes is accepted without comparing the roots",
        ("LOG-4",),
        ("merkle",),
    ),
    Mutant(
        "export_skips_signature",
        "the export parser never verifies export.sig",
        ("EXP-8",),
        ("export",),
    ),
    Mutant(
        "export_first_signature_only",
        "the export parser verifies the first signature, whatever its key ID and version",
        ("EXP-7",),
        ("export",),
    ),
    Mutant(
        "note_ignores_key_id",
        "signature lines are matched to known keys by name alone, ignoring the key ID",
        ("LOG-6", "LOG-7"),
        ("checkpoint",),
    ),
    Mutant(
        "quorum_counts_lines",
        "the witness quorum counts valid cosignature lines, not distinct witnesses",
        ("LOG-10",),
        ("checkpoint",),
    ),
)
