"""Agent policies: what the policy file must say, and the bootstrap check's rules.

Plugin authors build :class:`Policy` and :class:`Element` objects and return
them from the ``lanewarden_policies`` hook (:mod:`lanewarden.hookspecs`).
"""

from __future__ import annotations

from lanewarden.domain.policies.model import Element, Policy
from lanewarden.domain.policies.report import BootstrapReport, PolicyResult

__all__ = ["BootstrapReport", "Element", "Policy", "PolicyResult"]
