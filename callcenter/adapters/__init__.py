"""Adapters the composition root fills the domain packages' ports with (IVR, ACD over the record)."""
