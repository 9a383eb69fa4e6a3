"""Package data of risk scoring (see SOURCES.md); read through protocol.risk.resources."""
