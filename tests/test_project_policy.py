"""lanewarden's own AGENTS.md passes its own bootstrap check (CI runs the full check)."""

from __future__ import annotations

from pathlib import Path

from lanewarden.adapters.config import load_config
from lanewarden.cli.bootstrap_check import collect_policies, worklog_facts
from lanewarden.domain.policies.bootstrap import judge_policies
from lanewarden.domain.policies.document import PolicyDocument
from lanewarden.domain.policies.worklog import check_worklog_split

ROOT = Path(__file__).resolve().parent.parent


def test_agents_md_states_every_policy() -> None:
    config = load_config(ROOT)
    policies, settings = collect_policies(config)
    document = PolicyDocument.parse((ROOT / config.policy_file).read_text(encoding="utf-8"))
    results = judge_policies(policies, settings, document)
    assert {r.policy.id: r.status for r in results} == {p.id: "present" for p in policies}
    assert check_worklog_split(worklog_facts(config), document) == []
