"""Command groups of the ``callcenter`` command line, one module each."""
