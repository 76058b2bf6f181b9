"""The one error type of the bundled PBX."""

from __future__ import annotations


class PbxError(Exception):
    """A bundled-PBX operation failed; ``str()`` is one line a person can act on."""
