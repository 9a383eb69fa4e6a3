"""Package data of risk scoring (see SOURCES.md); read through bluezone.protocol.risk.resources."""
