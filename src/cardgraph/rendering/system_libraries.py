"""The operating system's libraries WeasyPrint renders with, checked when a process starts.

WeasyPrint loads Pango, HarfBuzz and fontconfig from the OS, not from PyPI: without Pango it
cannot render at all; without HarfBuzz's subsetter it falls back to fontTools, which makes
every PDF about ten times slower and logs warnings. A process that may render says so at
start-up, in words an operator can act on, instead of failing on its first job.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from dataclasses import dataclass

logger = logging.getLogger("cardgraph.rendering")

# Debian's (and Ubuntu's) packages, as the Dockerfile installs them.
DEBIAN_PACKAGES = (
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "fonts-dejavu-core",
)
INSTALL_HINT = "on Debian or Ubuntu: apt-get install " + " ".join(DEBIAN_PACKAGES)


@dataclass(frozen=True)
class SystemLibrary:
    """A shared library: its Linux soname and its short name (for other systems)."""

    soname: str
    short_name: str


# What WeasyPrint cannot start without (it loads exactly these at import).
REQUIRED = (
    SystemLibrary("libgobject-2.0.so.0", "gobject-2.0"),
    SystemLibrary("libpango-1.0.so.0", "pango-1.0"),
    SystemLibrary("libpangoft2-1.0.so.0", "pangoft2-1.0"),
    SystemLibrary("libharfbuzz.so.0", "harfbuzz"),
    SystemLibrary("libfontconfig.so.1", "fontconfig"),
)
HARFBUZZ_SUBSET = SystemLibrary("libharfbuzz-subset.so.0", "harfbuzz-subset")


class MissingSystemLibraryError(RuntimeError):
    """A library WeasyPrint needs cannot be loaded."""


def can_load(library: SystemLibrary) -> bool:
    """Whether the dynamic loader finds and loads `library`."""
    for name in (library.soname, ctypes.util.find_library(library.short_name)):
        if name is None:
            continue
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def missing_required(libraries: tuple[SystemLibrary, ...] = REQUIRED) -> list[SystemLibrary]:
    """The required libraries the loader cannot load."""
    return [library for library in libraries if not can_load(library)]


def check_rendering_libraries() -> None:
    """Raise if PDF rendering cannot work here; warn loudly if it would be slow."""
    missing = missing_required()
    if missing:
        names = ", ".join(library.soname for library in missing)
        raise MissingSystemLibraryError(
            f"PDF rendering (WeasyPrint) needs Pango, and this system cannot load {names}; "
            f"install them ({INSTALL_HINT})"
        )
    if not can_load(HARFBUZZ_SUBSET):
        logger.warning(
            "%s is missing: every PDF will render about 10 times slower (fonts subset by "
            "fontTools) and log warnings; install libharfbuzz-subset0 (%s)",
            HARFBUZZ_SUBSET.soname,
            INSTALL_HINT,
        )
