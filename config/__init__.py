"""Settings and shipped configuration data (YAML defaults, Asterisk templates, workflow rules)."""

from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
