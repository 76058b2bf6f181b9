"""``python -m callcenter``: the same command line as ``callcenter``."""

from callcenter.cli import app

app(prog_name="callcenter")
