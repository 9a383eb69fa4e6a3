"""The server's parsers of hostile bytes: the CBOR index and request bodies (SRV-2, SRV-12)."""

from __future__ import annotations

import contextlib
import json

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol.errors import ProtocolError
from bluezone.reference_node.errors import NodeError
from bluezone.reference_node.server.errors import BadServerDataError, ServerError
from bluezone.reference_node.server.index import BatchIndex, IndexEntry
from bluezone.reference_node.server.requests import (
    CodeRequest,
    TokenRequest,
    UploadRequest,
    parse_object,
)

uint = st.integers(min_value=0, max_value=2**64 - 1)
entries = st.builds(IndexEntry, uint, st.binary(min_size=32, max_size=32), uint, uint, uint, uint)


@given(
    st.text(min_size=1, max_size=30), st.lists(entries, max_size=8, unique_by=lambda e: e.number)
)
def test_index_round_trips(origin, items):
    items = sorted(items, key=lambda e: e.number)
    size = (items[-1].number + 1) if items else 0
    if size > 2**64 - 1:
        return
    index = BatchIndex(origin, size, tuple(items))
    assert BatchIndex.from_bytes(bytes(index)) == index


@given(st.binary(max_size=300))
def test_index_parser_raises_only_its_error(data):
    with contextlib.suppress(BadServerDataError):
        BatchIndex.from_bytes(data)


@pytest.mark.parametrize(
    "value",
    [
        {"origin": "o", "tree_size": 1, "batches": [], "extra": 1},
        {"origin": "o", "tree_size": 1, "batches": [{"number": 1}]},
        {
            "origin": "o",
            "tree_size": 1,
            "batches": [
                {
                    "number": 0,
                    "export_bin_sha256": b"x",
                    "start_s": 0,
                    "end_s": 0,
                    "keys": 0,
                    "size": 0,
                }
            ],
        },
        {"origin": "o", "tree_size": -1, "batches": []},
        {"origin": "o", "tree_size": True, "batches": []},
        {"origin": 5, "tree_size": 1, "batches": []},
        [1, 2],
    ],
)
def test_malformed_indexes_are_refused(value):
    with pytest.raises(BadServerDataError):
        BatchIndex.from_bytes(cbor2.dumps(value))


def test_index_entries_must_ascend_below_the_tree_size():
    entry = IndexEntry(3, bytes(32), 0, 0, 0, 0)
    with pytest.raises(BadServerDataError):
        BatchIndex.from_bytes(bytes(BatchIndex("o", 3, (entry,))))
    with pytest.raises(BadServerDataError):
        BatchIndex.from_bytes(bytes(BatchIndex("o", 9, (entry, entry))))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=15), inner, max_size=5)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    [
        "token",
        "hmac_secret",
        "keys",
        "padding",
        "code",
        "key_hmac",
        "report_type",
        "onset_interval",
        "validity_s",
        "key_data",
        "rolling_start",
        "rolling_period",
    ]
)


@given(st.dictionaries(field_names, json_values, max_size=6))
def test_request_parsers_raise_only_their_errors(body):
    for parse in (
        lambda b: UploadRequest.parse(b, 15),
        TokenRequest.parse,
        lambda b: CodeRequest.parse(b, 3600),
    ):
        with contextlib.suppress(ServerError, ProtocolError):
            parse(parse_object(json.dumps(body).encode()))


@given(st.binary(max_size=200))
def test_body_parser_raises_only_its_error(data):
    try:
        parse_object(data)
    except NodeError as error:
        assert error.code == "malformed_json"
