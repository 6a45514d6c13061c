"""The interpreter a run uses, and what is installed in it: part of what collection reads.

A test file may define some tests only under a Python version, on a
platform, or when a distribution is installed (``pytest.importorskip`` at its
top). The coverage map keeps these with what collection read, and a selection
compares them before leaving a file uncollected.
"""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig

__all__ = ["environment"]


def environment() -> dict[str, str]:
    """The interpreter, the platform and a digest of the installed distributions."""
    machine = os.uname().machine if hasattr(os, "uname") else ""
    return {
        "interpreter": f"{sys.implementation.name} {sys.version}",
        "platform": f"{sys.platform} {machine}".strip(),
        "set of installed distributions": _distributions(),
    }


def _distributions() -> str:
    """A digest of the names (with versions) of the distributions installed for this run.

    Read off the folder names of the installation's package folders
    (``name-1.0.dist-info``), which is fast; the project's own editable
    install is among them.
    """
    folders: list[str] = []
    for key in ("purelib", "platlib"):
        folder = sysconfig.get_paths().get(key)
        if folder and folder not in folders:
            folders.append(folder)
    import site

    if site.ENABLE_USER_SITE and site.USER_SITE and site.USER_SITE not in folders:
        folders.append(site.USER_SITE)
    names: set[str] = set()
    for folder in folders:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        names.update(e for e in entries if e.endswith((".dist-info", ".egg-info", ".egg-link")))
    return hashlib.sha256("\n".join(sorted(names)).encode("utf-8", "surrogateescape")).hexdigest()
