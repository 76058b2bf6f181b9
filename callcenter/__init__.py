"""Composition root: the ``callcenter`` command line and the wiring of the packages."""
