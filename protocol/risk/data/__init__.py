"""Package data of risk scoring (see SOURCES.md); read by bluezone.reference_node.risk_profiles."""
