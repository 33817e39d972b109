"""The errors of :mod:`panodepth.io`: every one names the file (and line) and what is wrong.

* :class:`FileFormatError` — a file that cannot be read as what it should be (a depth map,
  a mask, an array, …): missing, corrupt, or failing its format's validation rule;
* :class:`PanoramaError` — the same for an RGB image or an equirectangular panorama;
* :class:`InputError` — inputs that cannot be collected: a bad list-file line, a missing or
  empty list file, two inputs with the same name.

All are ``ValueError`` s, so callers that catch ``ValueError`` catch them all.
"""

from __future__ import annotations


class FileFormatError(ValueError):
    """A file that cannot be read as what it should be (names the file and the problem)."""


class PanoramaError(FileFormatError):
    """A file that cannot be used as a panorama (unreadable, wrong shape, ...)."""


class InputError(ValueError):
    """Inputs that cannot be collected: a bad list file or two inputs with one name."""
