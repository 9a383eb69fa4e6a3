"""Data files of the reference node (see each file for its sources)."""
