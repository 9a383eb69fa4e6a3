"""The reference adapter's level ops (IOP-46, IOP-47) take any JSON and answer only input errors."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from bluezone.interop_tests.adapter_kit import AdapterInputError
from bluezone.interop_tests.reference_adapter import exposure_level, level_change
from bluezone.protocol.errors import ProtocolError

REJECTED = (ProtocolError, AdapterInputError)

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=12), _JSON, max_size=6))
def test_the_level_ops_reject_bad_params_only_as_input_errors(params):
    for op in (exposure_level, level_change):
        with contextlib.suppress(*REJECTED):
            op(params)


@given(st.sampled_from(["F1", "F2", "none"]), st.sampled_from(["F1", "F2", "none"]), _JSON)
def test_level_change_refuses_bad_counts(previous, current, counts):
    params = {
        "previous": previous.encode().hex(),
        "current": current.encode().hex(),
        "matched_before": counts,
        "matched_now": {},
    }
    with contextlib.suppress(*REJECTED):
        level_change(params)
