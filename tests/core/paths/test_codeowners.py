"""CODEOWNERS parsing per host semantics: last match wins (GitHub), per section (GitLab),
regular expressions with negation where every line counts (Gitea/Forgejo)."""

from __future__ import annotations

from bot.core.paths.codeowners import CodeOwnersFormat, owned, parse

GLOB = CodeOwnersFormat((".github/CODEOWNERS",))
SECTIONS = CodeOwnersFormat(("CODEOWNERS",), sections=True)
REGEX = CodeOwnersFormat(("CODEOWNERS",), syntax="regex")

# GitHub's documented example, abridged.
GITHUB_EXAMPLE = """\
# These owners will be the default owners for everything in the repo.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most precedence.
*.js    @js-owner #This is an inline comment.

*.go docs@example.com
/build/logs/ @doctocat
docs/* docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
"""


def owners_of(text: str, fmt: CodeOwnersFormat, path: str) -> list[tuple[str, ...]]:
    return [o.line.owners for o in owned(parse(text, "CODEOWNERS", fmt), [path])]


def test_github_last_matching_line_wins() -> None:
    assert owners_of(GITHUB_EXAMPLE, GLOB, "src/app.js") == [("@js-owner",)]
    assert owners_of(GITHUB_EXAMPLE, GLOB, "README.md") == [("@global-owner1", "@global-owner2")]
    assert owners_of(GITHUB_EXAMPLE, GLOB, "main.go") == [("docs@example.com",)]
    assert owners_of(GITHUB_EXAMPLE, GLOB, "build/logs/a.txt") == [("@octocat",)]  # **/logs later
    assert owners_of(GITHUB_EXAMPLE, GLOB, "scripts/x.sh") == [("@doctocat", "@octocat")]


def test_github_a_line_without_owners_leaves_the_file_unowned() -> None:
    assert owners_of(GITHUB_EXAMPLE, GLOB, "apps/github/x.rb") == []
    assert owners_of(GITHUB_EXAMPLE, GLOB, "apps/other/x.rb") == [("@octocat",)]


def test_github_negation_is_not_supported_and_reported() -> None:
    parsed = parse("*.md @a\n!docs/*.md @b\n", "CODEOWNERS", GLOB)
    assert [line.number for line in parsed.lines] == [1]
    assert parsed.problems[0][0] == 2
    assert owners_of("*.md @a\n!docs/*.md @b\n", GLOB, "docs/x.md") == [("@a",)]


def test_owned_groups_files_by_line_in_line_order() -> None:
    found = owned(parse(GITHUB_EXAMPLE, ".github/CODEOWNERS", GLOB), ["b.js", "a.js", "x.txt"])
    assert [(o.line.number, o.files) for o in found] == [(2, ("x.txt",)), (5, ("b.js", "a.js"))]
    assert found[1].reason(".github/CODEOWNERS") == (
        ".github/CODEOWNERS:5: *.js    @js-owner #This is an inline comment."
    )


GITLAB = """\
* @fallback
[Database] @acme/dba
migrations/
/db/schema.rb @carol
^[Docs][2] @writers
docs/
*.md @editor
"""


def test_gitlab_sections_each_count_last_match_within_a_section() -> None:
    assert owners_of(GITLAB, SECTIONS, "migrations/1.sql") == [("@fallback",), ("@acme/dba",)]
    assert owners_of(GITLAB, SECTIONS, "docs/a.md") == [("@fallback",), ("@editor",)]
    assert owners_of(GITLAB, SECTIONS, "db/schema.rb") == [("@fallback",), ("@carol",)]


def test_gitlab_section_headers_mean_nothing_to_github() -> None:
    parsed = parse(GITLAB, "CODEOWNERS", GLOB)
    assert any(number == 2 for number, _ in parsed.problems)  # '[Database]' is a range


GITEA = """\
.*\\.go @user1 @user2 # This is comment
frontend/src/.*\\.js @org1/team1 @user3
!frontend/src/.* @org1/team3
docs/(aws|google)/[^/]*\\.(md|txt) @user8
dir/with\\#hashtag @user1
path\\ with\\ space @user2
broken( @nobody
"""


def test_gitea_regex_lines_all_count_and_negation_inverts() -> None:
    assert owners_of(GITEA, REGEX, "frontend/src/app.js") == [("@org1/team1", "@user3")]
    assert owners_of(GITEA, REGEX, "cmd/main.go") == [("@user1", "@user2"), ("@org1/team3",)]
    assert owners_of(GITEA, REGEX, "docs/aws/a.md") == [("@org1/team3",), ("@user8",)]
    assert owners_of(GITEA, REGEX, "docs/azure/a.md") == [("@org1/team3",)]


def test_gitea_escapes_and_bad_regexes() -> None:
    parsed = parse(GITEA, "CODEOWNERS", REGEX)
    assert [p.text for p in parsed.patterns][4:6] == ["dir/with#hashtag", "path with space"]
    assert parsed.problems and parsed.problems[0][0] == 7
    assert owners_of(GITEA, REGEX, "path with space") == [("@org1/team3",), ("@user2",)]
