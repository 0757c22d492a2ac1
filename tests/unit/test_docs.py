"""The documentation holds together: README.md, docs/*.md and the roles' READMEs.

Each fact lives in one of these files and the others link to it, so a link
that points nowhere loses the fact. Checked here, with no network:
- every relative link names a file or directory of the checkout, and a
  `#anchor` names a heading of the target (GitHub's slugs) or an HTML id;
- a role README's variable table names only variables its argument spec has;
- every `make TARGET` the documentation tells a user to run is a Makefile target;
- every module's DOCUMENTATION, EXAMPLES and RETURN parse as YAML;
- the README's test command is `make test` (.ci/run and DESIGN.md rely on it).
"""

import ast
import re
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(
    [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "roles").glob("*/README.md")]
)
ROLE_READMES = sorted((ROOT / "roles").glob("*/README.md"))

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
# An inline code span: a run of backticks, anything, the same run again.
CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
# [text](target "title") and ![alt](target); the target may be <bracketed>.
INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+[\"'(].*?)?\s*\)"
)
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_ID = re.compile(r"<[a-zA-Z][^>]*?\s(?:id|name)=[\"']([^\"']+)[\"']")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


def _blocks(text: str):
    """(line number, line, in a fenced code block) for each line."""
    fence = None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            yield number, line, True
        elif fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                fence = None
            yield number, line, True
        else:
            yield number, line, False


def _prose(text: str):
    """(line number, line) outside code blocks, code spans and HTML comments blanked."""
    text = re.sub(r"<!--.*?-->", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    for number, line, in_code in _blocks(text):
        if not in_code:
            yield number, CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text (github-slugger, on the rendered text)."""
    text = CODE_SPAN.sub(lambda m: m.group(2).strip(), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link renders as its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags render as nothing
    text = re.sub(r"(\*\*|__|\*|(?<!\w)_|_(?!\w))", "", text)  # emphasis markers
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a markdown file offers: heading slugs (repeats get -1, -2...) and HTML ids."""
    text = path.read_text(encoding="utf-8")
    found, seen = set(), Counter()
    for _, line, in_code in _blocks(text):
        if in_code:
            continue
        match = HEADING.match(line)
        if match:
            base = slug(match.group(2))
            found.add(f"{base}-{seen[base]}" if seen[base] else base)
            seen[base] += 1
        found.update(HTML_ID.findall(line))
    return found


def links(path: Path):
    """(line number, target) of every link in a markdown file, outside code."""
    for number, line in _prose(path.read_text(encoding="utf-8")):
        for match in [*INLINE_LINK.finditer(line), *REFERENCE_DEF.finditer(line)]:
            yield number, match.group(1).strip("<>")


def broken(path: Path) -> list[str]:
    """Why each relative link of a markdown file fails; empty when all hold."""
    problems = []
    for number, target in links(path):
        if SCHEME.match(target):
            continue  # http(s), mailto: not this test's business
        file_part, _, anchor = target.partition("#")
        file_part = unquote(file_part)
        if file_part.startswith("/"):
            resolved = (ROOT / file_part.lstrip("/")).resolve()
        else:
            resolved = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(ROOT)}:{number}: {target}"
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{where}: points outside the checkout")
        elif not resolved.exists():
            problems.append(f"{where}: no such file")
        elif anchor and resolved.suffix == ".md" and unquote(anchor) not in anchors(resolved):
            problems.append(f"{where}: no heading or id '{anchor}' in {resolved.relative_to(ROOT)}")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(doc):
    problems = broken(doc)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Try it: a virtual Pi fleet on this machine", "try-it-a-virtual-pi-fleet-on-this-machine"),
        (
            "Why `cgroup_enable=memory` (and not `cgroup_memory=1`)",
            "why-cgroup_enablememory-and-not-cgroup_memory1",
        ),
        ("aarch64 VMs (`lab/vm.sh`)", "aarch64-vms-labvmsh"),
        ("The 2017 blog setup, today", "the-2017-blog-setup-today"),
        (
            "`node`: learn what each node is — prepare it",
            "node-learn-what-each-node-is--prepare-it",
        ),
        ("**Bold** and [a link](x.md) with _emphasis_", "bold-and-a-link-with-emphasis"),
    ],
)
def test_slug_follows_github(heading, expected):
    assert slug(heading) == expected


def test_the_checker_sees_what_is_broken(tmp_path, monkeypatch):
    """A link to a missing file, a missing anchor and a link inside code."""
    tmp_path = tmp_path.resolve()
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "other.md").write_text("# Other\n\n## Second part\n\n## Second part\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Doc\n\n"
        "[ok](other.md#second-part-1) [ok](#doc) [ok](https://example.invalid/x)\n"
        "[gone](missing.md) [no anchor](other.md#third-part)\n"
        "`[in code](missing.md)`\n\n```md\n[in a block](missing.md)\n```\n"
        "[ref]: ../outside.md\n"
    )
    assert [p.split(": ", 1)[1] for p in broken(doc)] == [
        "missing.md: no such file",
        "other.md#third-part: no heading or id 'third-part' in other.md",
        "../outside.md: points outside the checkout",
    ]


def _spec_options(role: Path) -> set[str]:
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return {name for entry in specs.values() for name in entry.get("options") or {}}


def _variable_table(readme: Path) -> list[str]:
    """First-column `names` of the table under the README's `## Variables` heading."""
    names, inside = [], False
    for _, line, in_code in _blocks(readme.read_text(encoding="utf-8")):
        if in_code:
            continue
        if HEADING.match(line):
            inside = line.strip() == "## Variables"
        elif inside:
            cell = re.match(r"^\|\s*`([a-z][a-z0-9_]*)`\s*\|", line)
            if cell:
                names.append(cell.group(1))
    return names


@pytest.mark.parametrize("readme", ROLE_READMES, ids=lambda p: p.parent.name)
def test_role_readme_variables_exist(readme):
    role = readme.parent
    listed = _variable_table(readme)
    assert listed, f"{readme.relative_to(ROOT)} has no `## Variables` table"
    unknown = sorted(set(listed) - _spec_options(role))
    assert not unknown, (
        f"{readme.relative_to(ROOT)} names variables {role.name}'s spec lacks: {unknown}"
    )


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z0-9-]*)\s*:(?!=)", text, flags=re.M))


def _make_commands(path: Path):
    """(line number, target) for each `make TARGET` a user is told to run."""
    command = re.compile(r"^\s*(?:[A-Z_]+=\S+\s+)*make\s+([a-z][a-z0-9-]*)")
    for number, line, in_code in _blocks(path.read_text(encoding="utf-8")):
        spans = [line] if in_code else [m.group(2) for m in CODE_SPAN.finditer(line)]
        for span in spans:
            match = command.match(span)
            if match:
                yield number, match.group(1)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_make_targets_named_exist(doc):
    targets = _make_targets()
    missing = [
        f"{doc.relative_to(ROOT)}:{n}: make {t}" for n, t in _make_commands(doc) if t not in targets
    ]
    assert not missing, "no such Makefile target:\n" + "\n".join(missing)


def test_readme_test_command_is_make_test():
    """.ci/run runs `make test` as the README's test command: the README must say so."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^## Test it\n+```sh\nmake test\n", readme, flags=re.M), (
        "README.md's `## Test it` must open with a sh block whose first line is `make test`"
    )


PLUGIN_DOCS = sorted((ROOT / "plugins" / "modules").glob("*.py"))


@pytest.mark.parametrize("path", PLUGIN_DOCS, ids=lambda p: p.name)
def test_module_documentation_is_yaml(path):
    """DOCUMENTATION, EXAMPLES and RETURN parse (a ': ' in a plain scalar does
    not, and ansible-doc then renders nothing; tests/collection/check.sh
    renders them all, this says which block, in a second)."""
    blocks = {
        node.targets[0].id: node.value.value
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in ("DOCUMENTATION", "EXAMPLES", "RETURN")
    }
    assert set(blocks) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    for name, text in blocks.items():
        try:
            yaml.safe_load(text)
        except yaml.YAMLError as err:
            pytest.fail(f"{path.name} {name}: {err}")
