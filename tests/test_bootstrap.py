"""``lanewarden bootstrap`` end to end, in real repositories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import Cli, git, write
from lanewarden.cli.main import main
from lanewarden.domain.policies.builtin import BUILTIN_IDS
from scenario import lanewarden

OWN_WORDS = (Path(__file__).parent / "data" / "agents_own_words.md").read_text()


def commit_all(repo: Path, message: str = "policy") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


@pytest.fixture
def ready(repo: Path, cli: Cli) -> Path:
    """A repository after ``lanewarden init`` and a commit."""
    assert cli(repo, "init").code == 0
    commit_all(repo, "init")
    return repo


def bootstrap(cli: Cli, repo: Path) -> tuple[int, dict]:
    result = cli(repo, "bootstrap", "--json")
    return result.code, result.json


def rules(body: dict) -> list[str]:
    return [v["rule"] for v in body["violations"]]


def test_init_then_commit_passes(ready: Path, cli: Cli) -> None:
    code, body = bootstrap(cli, ready)
    assert (code, body["ok"], body["violations"]) == (0, True, [])
    assert [p["status"] for p in body["policies"]] == ["present"] * 9


def test_main_with_directory_flag(ready: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(ready.parent)  # restored after main's chdir
    assert main(["-C", str(ready), "bootstrap"]) == 0
    out = capsys.readouterr().out
    assert "bootstrap check of AGENTS.md: ok" in out
    assert "present     lock-ownership" in out


def test_subprocess_exit_codes(ready: Path) -> None:
    assert lanewarden(ready, "bootstrap").returncode == 0
    write(ready, "AGENTS.md", "# nothing\n")
    done = lanewarden(ready, "bootstrap")
    assert done.returncode == 1
    assert "[missing-policy]" in done.stdout
    assert "Traceback" not in done.stderr


def test_empty_policy_file_misses_every_policy_by_name(ready: Path, cli: Cli) -> None:
    write(ready, "AGENTS.md", "")
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert code == 1
    assert [p["status"] for p in body["policies"]] == ["missing"] * 9
    missing = [v for v in body["violations"] if v["rule"] == "missing-policy"]
    assert len(missing) == 9
    for policy_id, violation in zip(BUILTIN_IDS, missing, strict=True):
        assert f"({policy_id})" in violation["message"]
        assert violation["path"] == "AGENTS.md"
        assert "lanewarden init" in violation["fix"]
    # The fix is the text init writes.
    assert body["policies"][0]["text"].startswith("## Single-writer worklog\n")
    assert missing[0]["fix"].endswith(body["policies"][0]["text"])


def test_a_missing_policy_file_is_a_policy_failure(ready: Path, cli: Cli) -> None:
    git(ready, "rm", "-q", "AGENTS.md")
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert code == 1
    assert body["policy_file_exists"] is False
    # The split is declared in lanewarden.toml and the ledger says it is single-writer.
    assert rules(body) == ["missing-policy"] * 9


def test_name_dropping_fails(ready: Path, cli: Cli) -> None:
    names = "".join(f"## {i.replace('-', ' ')}\n\n- {i}\n\n" for i in BUILTIN_IDS)
    write(ready, "AGENTS.md", "# Policies\n\n" + names)
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert code == 1
    assert "present" not in [p["status"] for p in body["policies"]]


def test_a_policy_in_other_words_passes(ready: Path, cli: Cli) -> None:
    write(ready, "AGENTS.md", OWN_WORDS)
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert (code, body["violations"]) == (0, [])
    lines = {p["id"]: (p["line"], p["heading"]) for p in body["policies"]}
    assert lines["context7"] == (44, "Documentation lookups (Context7)")


def test_an_incomplete_policy_is_named_with_its_line_and_gaps(ready: Path, cli: Cli) -> None:
    text = (ready / "AGENTS.md").read_text()
    hotspots = text.index("- Hotspot files")
    write(ready, "AGENTS.md", text[:hotspots] + text[text.index("- A lock expires") :])
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert code == 1
    (violation,) = body["violations"]
    assert violation["rule"] == "incomplete-policy"
    policy = next(p for p in body["policies"] if p["id"] == "lock-ownership")
    assert policy["status"] == "incomplete"
    assert policy["lacks"] == ["hotspots never have two owners at once"]
    assert f"AGENTS.md:{policy['line']}:" in violation["message"]
    assert "hotspots never have two owners at once" in violation["message"]
    assert violation["fix"].startswith(
        f"say what is missing in the section at AGENTS.md:{policy['line']}"
    )
    text = cli(ready, "bootstrap").out
    assert "incomplete  lock-ownership" in text
    assert "lacks: hotspots never have two owners at once" in text


@pytest.mark.parametrize("staged", [False, True], ids=["unstaged", "staged"])
def test_an_uncommitted_edit_fails(ready: Path, cli: Cli, staged: bool) -> None:
    with (ready / "AGENTS.md").open("a") as f:
        f.write("\nOne more rule.\n")
    if staged:
        git(ready, "add", "AGENTS.md")
    code, body = bootstrap(cli, ready)
    assert code == 1
    assert rules(body) == ["policy-uncommitted"]
    assert body["violations"][0]["path"] == "AGENTS.md"


def test_an_untracked_policy_file_fails(repo: Path, cli: Cli) -> None:
    assert cli(repo, "init").code == 0
    git(repo, "add", "PLAN.md", "DECISIONS.md", "lanewarden.toml")
    git(repo, "commit", "-qm", "no policy yet")
    code, body = bootstrap(cli, repo)
    assert code == 1
    assert rules(body) == ["policy-uncommitted"]
    assert "not committed" in body["violations"][0]["message"]


def test_a_missing_decision_register_fails(ready: Path, cli: Cli) -> None:
    git(ready, "rm", "-q", "DECISIONS.md")
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert code == 1
    assert rules(body) == ["ledger-split"]
    assert body["violations"][0]["message"] == "decision register DECISIONS.md does not exist"


def test_a_configured_register_that_does_not_exist_fails(ready: Path, cli: Cli) -> None:
    with (ready / "lanewarden.toml").open("a") as f:
        f.write("\n[policies]\n")
    text = (ready / "lanewarden.toml").read_text()
    text = text.replace('"DECISIONS.md",', '"DECISIONS.md", "docs/adr/README.md",')
    write(ready, "lanewarden.toml", text)
    code, body = bootstrap(cli, ready)
    assert code == 1
    assert "decision register docs/adr/README.md does not exist" in [
        v["message"] for v in body["violations"]
    ]


def test_the_ledger_needs_a_lock_table(ready: Path, cli: Cli) -> None:
    write(ready, "PLAN.md", "# Plan\n\nOnly the orchestrator edits this ledger.\n")
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert code == 1
    assert [v["message"] for v in body["violations"]] == [
        "execution ledger PLAN.md has no lock table"
    ]


def test_ledger_and_register_must_differ(ready: Path, cli: Cli) -> None:
    write(ready, "lanewarden.toml", 'ledger = "PLAN.md"\ndecision_registers = ["PLAN.md"]\n')
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert code == 1
    assert "PLAN.md is both the execution ledger and a decision register" in [
        v["message"] for v in body["violations"]
    ]


def test_the_split_must_be_declared(ready: Path, cli: Cli) -> None:
    own = OWN_WORDS.replace("`PLAN.md` is our", "The plan is our").replace("`DECISIONS.md`", "ADRs")
    write(ready, "AGENTS.md", own)
    (ready / "lanewarden.toml").unlink()
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert code == 1
    assert [v["message"] for v in body["violations"]] == [
        "AGENTS.md does not declare the execution ledger PLAN.md",
        "AGENTS.md does not declare the decision register DECISIONS.md",
    ]
    # Configuration is a declaration too.
    write(ready, "lanewarden.toml", 'ledger = "PLAN.md"\ndecision_registers = ["DECISIONS.md"]\n')
    assert bootstrap(cli, ready)[0] == 0


def test_the_ledger_must_be_declared_single_writer(ready: Path, cli: Cli) -> None:
    plan = (ready / "PLAN.md").read_text()
    plan = plan.replace("single-writer", "shared").replace("only the orchestrator or", "the")
    write(ready, "PLAN.md", plan)
    own = OWN_WORDS.replace("Nobody but the orchestrator may update it", "Anyone updates it")
    write(ready, "AGENTS.md", own)
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert code == 1
    messages = [v["message"] for v in body["violations"]]
    assert "execution ledger PLAN.md is not declared single-writer" in messages


def test_a_disabled_policy_is_reported_with_its_reason(ready: Path, cli: Cli) -> None:
    text = (ready / "AGENTS.md").read_text()
    start = text.index("## Context7 policy")
    end = text.index("## Worker test policy")
    write(ready, "AGENTS.md", text[:start] + text[end:])
    with (ready / "lanewarden.toml").open("a") as f:
        f.write('\n[policies]\ndisable = { context7 = "air-gapped: no Context7" }\n')
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert (code, body["violations"]) == (0, [])
    policy = next(p for p in body["policies"] if p["id"] == "context7")
    assert (policy["status"], policy["reason"]) == ("disabled", "air-gapped: no Context7")
    text_report = cli(ready, "bootstrap").out
    assert "disabled    context7" in text_report
    assert "switched off in configuration: air-gapped: no Context7" in text_report


def test_a_configured_extra_policy_is_checked(ready: Path, cli: Cli) -> None:
    with (ready / "lanewarden.toml").open("a") as f:
        f.write(
            "\n[[policies.extra]]\n"
            'id = "release-notes"\ntitle = "Release notes"\nheadings = ["release notes"]\n'
            '[policies.extra.requires]\n"a changelog entry" = ["changelog", "entry"]\n'
        )
    commit_all(ready)
    code, body = bootstrap(cli, ready)
    assert code == 1
    assert body["policies"][-1]["id"] == "release-notes"
    assert body["policies"][-1]["origin"] == "lanewarden.toml"
    assert "(release-notes)" in body["violations"][0]["message"]
    assert cli(ready, "init").code == 0
    commit_all(ready)
    assert bootstrap(cli, ready)[0] == 0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[policies]\ndisable = { nope = "why" }\n', "unknown policy 'nope'"),
        ("[policies]\nextras = []\n", "unknown key policies.extras"),
    ],
)
def test_bad_policy_configuration_exits_2(ready: Path, cli: Cli, table: str, message: str) -> None:
    with (ready / "lanewarden.toml").open("a") as f:
        f.write("\n" + table)
    result = cli(ready, "bootstrap", "--json")
    assert result.code == 2
    assert message in result.json["error"]["message"]
    assert result.json["error"]["path"].endswith("lanewarden.toml")


def test_a_non_utf8_policy_file_exits_2(ready: Path, cli: Cli) -> None:
    (ready / "AGENTS.md").write_bytes(b"# Policy\n\ncaf\xe9\n")
    result = cli(ready, "bootstrap")
    assert result.code == 2
    assert "AGENTS.md:3: policy file is not valid UTF-8" in result.err


def test_a_policy_file_that_is_a_directory_exits_2(ready: Path, cli: Cli) -> None:
    git(ready, "rm", "-q", "AGENTS.md")
    (ready / "AGENTS.md").mkdir()
    result = cli(ready, "bootstrap")
    assert result.code == 2
    assert "policy file is a directory" in result.err


def test_a_policy_file_outside_the_repository_exits_2(ready: Path, cli: Cli) -> None:
    outside = ready.parent / "elsewhere.md"
    outside.write_text((ready / "AGENTS.md").read_text())
    (ready / "AGENTS.md").unlink()
    os.symlink(outside, ready / "AGENTS.md")
    result = cli(ready, "bootstrap", "--json")
    assert result.code == 2
    assert "outside the repository" in result.json["error"]["message"]


def test_json_shape(ready: Path, cli: Cli) -> None:
    write(ready, "AGENTS.md", "# Policy\n\n## Locks\n\nNo edits outside the lock scope.\n")
    _, body = bootstrap(cli, ready)
    assert set(body) >= {"ok", "violations", "policy_file", "policies", "worklog"}
    assert body["worklog"] == {"ledger": "PLAN.md", "decision_registers": ["DECISIONS.md"]}
    for violation in body["violations"]:
        assert set(violation) >= {"rule", "path", "lock", "message"}
        assert violation["lock"] is None
    locks = next(p for p in body["policies"] if p["id"] == "lock-ownership")
    assert set(locks) == {
        "id",
        "title",
        "origin",
        "status",
        "line",
        "heading",
        "lacks",
        "reason",
        "text",
    }
    assert (locks["status"], locks["line"], locks["heading"]) == ("incomplete", 3, "Locks")


def test_a_policy_file_elsewhere_with_a_space_in_its_name(repo: Path, cli: Cli) -> None:
    write(repo, "lanewarden.toml", 'policy_file = "docs/agent policy.md"\n')
    assert cli(repo, "init").code == 0
    assert (repo / "docs" / "agent policy.md").is_file()
    commit_all(repo)
    code, body = bootstrap(cli, repo)
    assert (code, body["policy_file"]) == (0, "docs/agent policy.md")
    with (repo / "docs" / "agent policy.md").open("a") as f:
        f.write("\nMore.\n")
    assert rules(bootstrap(cli, repo)[1]) == ["policy-uncommitted"]


def test_bootstrap_in_a_linked_worktree(ready: Path, cli: Cli, tmp_path: Path) -> None:
    lane = tmp_path / "lane"
    git(ready, "worktree", "add", "-q", "-b", "lane/L-001", str(lane))
    assert bootstrap(cli, lane)[0] == 0
    write(lane, "AGENTS.md", "# gone\n")
    git(lane, "commit", "-qam", "drop the policy")
    assert bootstrap(cli, lane)[0] == 1
    assert bootstrap(cli, ready)[0] == 0
