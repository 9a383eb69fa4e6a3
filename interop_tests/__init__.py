"""Conformance suite that drives any implementation through the adapter protocol."""
