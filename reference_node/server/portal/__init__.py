"""The health authority's web portal (spec section 7, spec/07-portal.md)."""
