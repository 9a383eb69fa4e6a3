"""The `bluezone` command line dispatches to each part."""

import sys

import pytest

from bluezone.reference_node import cli


def test_interop_run_hands_its_arguments_to_the_suite(capsys):
    adapter = f"{sys.executable} -m bluezone.interop_tests.reference_adapter"
    assert cli.main(["interop", "run", "--adapter", adapter, "--only", "advertisement"]) == 0
    assert "PASSED" in capsys.readouterr().out


def test_interop_run_fails_on_a_broken_adapter(capsys):
    adapter = f"{sys.executable} -m bluezone.interop_tests.mutants.decoder_lenient_length"
    assert cli.main(["interop", "run", "--adapter", adapter, "--only", "advertisement"]) != 0


def test_unknown_command_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["no-such-command"])
    assert exit_info.value.code == 64  # EX_USAGE: 2 is a failed verification (audit)
