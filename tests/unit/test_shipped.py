"""What a role copies to a node and may remove there again: the manifest
rules (shared by the images role and copy_tree), what a controller directory
ships, the plan against a node's listing, and the copy_tree module applying
it to a real directory."""

import io
import os
import tarfile
from pathlib import Path

import pytest
from ansible_collections.pifleet.swarm.plugins.module_utils._shipped import (
    MANIFEST_HEADER,
    copy_plan,
    local_tree,
    read_manifest,
    render_manifest,
    tree_plan,
)
from ansible_collections.pifleet.swarm.plugins.modules import copy_tree

ATTRS = {"mode": "0644", "directory_mode": "0755", "owner": "root", "group": "root"}
DEST = "/srv/pifleet/sites/blog"


def test_only_what_the_role_placed_and_no_longer_ships_is_removed():
    placed = ["Dockerfile", "conf/", "conf/a.conf", "conf/old.conf", "gone/", "gone/x", "old.txt"]
    shipped = ["Dockerfile", "conf/", "conf/a.conf"]
    # What the builder holds: also files the role never placed (a user's,
    # another tool's), in a directory of its own and in one the role placed.
    held = [*placed, "notes.txt", "theirs/", "theirs/data", "gone/mine"]
    assert copy_plan(held, placed, shipped) == ["conf/old.conf", "gone/x", "old.txt"]
    # gone/ goes whole once nothing else is in it; its file is not listed twice.
    assert copy_plan(placed, placed, shipped) == ["conf/old.conf", "gone", "old.txt"]
    # Placed, no longer shipped, already gone: nothing to do.
    assert copy_plan(["Dockerfile"], placed, shipped) == []


def test_without_a_manifest_nothing_is_removed():
    # A build context at /var/lib/docker (refused by the inputs' rules, but the
    # planner itself never reaches past what the role placed).
    held = ["containers/", "containers/x.json", "swarm/", "overlay2/", "Dockerfile"]
    assert copy_plan(held, [], ["Dockerfile"]) == []


@pytest.mark.parametrize("line", ["/etc/passwd", "../x", "a/../../b", "./a", "a//b", "..", "/"])
def test_a_manifest_that_reaches_outside_is_refused(line):
    with pytest.raises(ValueError, match="not a path inside its directory"):
        read_manifest(f"{MANIFEST_HEADER}Dockerfile\n{line}\n", "/srv/b/x.shipped")


def test_manifest_round_trip():
    text = render_manifest(["b", "a/", "a/c", "b"])
    assert text == MANIFEST_HEADER + "a/\na/c\nb\n"
    # A manifest the images role wrote before it used copy_tree (its own
    # header) reads the same.
    old = "# Written by the pifleet.swarm.images role: the paths it copied\na/\nb\n"
    assert read_manifest(old, "m") == ["a/", "b"]
    assert read_manifest(text, "m") == ["a/", "a/c", "b"]


@pytest.fixture
def site(tmp_path):
    """A site as a hurried user keeps it: a git checkout with secrets beside it."""
    src = tmp_path / "blog"
    (src / "css").mkdir(parents=True)
    (src / "index.html").write_text("<h1>blog</h1>\n")
    (src / "css" / "site.css").write_text("h1 {}\n")
    (src / ".env").write_text("DB_PASSWORD=hunter2\n")
    (src / ".git").mkdir()
    (src / ".git" / "config").write_text("[core]\n")
    (src / "css" / ".htaccess").write_text("deny from all\n")
    (src / "style.css").symlink_to("css/site.css")
    return src


def test_dot_entries_stay_home_and_links_inside_ship_their_file(site):
    tree = local_tree(str(site))
    assert tree["problems"] == []
    assert sorted(tree["files"]) == ["css/site.css", "index.html", "style.css"]
    assert tree["dirs"] == ["css"]
    assert sorted(tree["left_out"]) == [".env", ".git/", "css/.htaccess"]
    assert tree["files"]["style.css"]["sha1"] == tree["files"]["css/site.css"]["sha1"]


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("/etc/hostname", "links to /etc/hostname, outside it"),
        ("../../outside.txt", "outside it"),
        ("../.env", "into a dot entry"),
        ("../.git/config", "into a dot entry"),
        ("../css", "links to a directory (css)"),
        ("nothing-here", "is a broken link"),
    ],
)
def test_a_link_that_does_not_stay_inside_is_refused(site, target, problem):
    (site.parent / "outside.txt").write_text("private\n")
    # Relative targets are read from the link's own directory (css/).
    (site / "css" / "evil").symlink_to(target)
    problems = local_tree(str(site))["problems"]
    assert len(problems) == 1 and problems[0].startswith("css/evil ") and problem in problems[0]


def held_like(tree: dict, **changes) -> dict:
    """The node's listing once it holds exactly what `tree` ships."""
    held = {".": {"type": "dir", "mode": "0755", "owner": "root", "group": "root"}}
    for rel in tree["dirs"]:
        held[rel] = {"type": "dir", "mode": "0755", "owner": "root", "group": "root"}
    for rel, info in tree["files"].items():
        held[rel] = {"type": "file", "mode": "0644", "owner": "root", "group": "root", **info}
    held.update(changes)
    return {k: v for k, v in held.items() if v is not None}


def shipped_manifest(tree: dict) -> str:
    return render_manifest(list(tree["files"]) + [d + "/" for d in tree["dirs"]])


def test_a_first_copy_sends_everything_and_records_it_first(site):
    tree = local_tree(str(site))
    plan = tree_plan(tree, {}, None, DEST, ATTRS)
    assert plan["changed"] and plan["problems"] == []
    assert plan["send"] == ["css/site.css", "index.html", "style.css"]
    assert plan["make"] == ["css"] and plan["remove"] == [] and plan["replace"] == []
    assert plan["manifest_first"] == shipped_manifest(tree)
    assert plan["manifest_last"] is None


def test_a_converged_copy_changes_nothing(site):
    tree = local_tree(str(site))
    plan = tree_plan(tree, held_like(tree), shipped_manifest(tree), DEST, ATTRS)
    assert not plan["changed"], plan
    assert [plan[k] for k in ("send", "fix", "make", "replace", "remove")] == [[]] * 5


def test_only_what_changed_is_sent_or_fixed(site):
    tree = local_tree(str(site))
    stale = {**held_like(tree)["index.html"], "sha1": "0" * 40}
    loose = {**held_like(tree)["css/site.css"], "mode": "0666"}
    held = held_like(tree, **{"index.html": stale, "css/site.css": loose})
    plan = tree_plan(tree, held, shipped_manifest(tree), DEST, ATTRS)
    assert (plan["send"], plan["fix"], plan["changed"]) == (["index.html"], ["css/site.css"], True)


def test_files_gone_from_src_go_only_if_the_copy_placed_them(site):
    tree = local_tree(str(site))
    mine = {"type": "file", "mode": "0644", "owner": "root", "group": "root", "sha1": "1" * 40}
    held = held_like(tree, **{"old.html": mine, "css/old.css": mine, "owners-notes.txt": mine})
    manifest = render_manifest([*tree["files"], "css/", "old.html", "css/old.css"])
    plan = tree_plan(tree, held, manifest, DEST, ATTRS)
    assert plan["remove"] == ["css/old.css", "old.html"]
    assert plan["manifest_first"] is None and plan["manifest_last"] == shipped_manifest(tree)


def test_a_path_that_changed_type_is_replaced_only_if_the_copy_placed_it(site):
    tree = local_tree(str(site))
    as_dir = {"type": "dir", "mode": "0755", "owner": "root", "group": "root"}
    held = held_like(tree, **{"index.html": as_dir})
    plan = tree_plan(tree, held, shipped_manifest(tree), DEST, ATTRS)
    assert plan["replace"] == ["index.html"] and "index.html" in plan["send"]
    plan = tree_plan(tree, held, render_manifest(["css/"]), DEST, ATTRS)
    assert plan["problems"] == [
        f"{DEST}/index.html is a dir on the node, which pifleet did not place there; "
        "the source has a file of that name: move it away"
    ]


def test_dot_entries_someone_else_left_are_reported_not_removed(site):
    tree = local_tree(str(site))
    dot = {"type": "file", "mode": "0644", "owner": "root", "group": "root", "sha1": "2" * 40}
    git = {"type": "dir", "mode": "0755", "owner": "root", "group": "root"}
    held = held_like(tree, **{".env": dot, ".git": git, ".git/config": dot, "css/.htaccess": dot})
    plan = tree_plan(tree, held, shipped_manifest(tree), DEST, ATTRS)
    assert plan["foreign"] == [".env", ".git", "css/.htaccess"]
    assert plan["remove"] == [] and not plan["changed"]


class Module:
    """What copy_tree.Tree needs of AnsibleModule."""

    def __init__(self):
        self.params = dict(ATTRS)

    def fail_json(self, msg):
        raise AssertionError(msg)


def archive_of(tree: dict, send: list[str]) -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for rel in send:
            tar.add(os.path.realpath(tree["files"][rel]["path"]), arcname=rel)
    return data.getvalue()


def copy_once(site: Path, dest: Path, tmp_path: Path, attrs=ATTRS, dotfiles=False) -> dict:
    """One copy_tree run, as the action drives it, against a real directory."""
    manifest = Path(f"{dest}.shipped")
    text = manifest.read_text() if manifest.exists() else None
    tree = local_tree(str(site), dotfiles=dotfiles)
    plan = tree_plan(tree, copy_tree.listing(str(dest)), text, str(dest), attrs)
    if plan["changed"]:
        archive = tmp_path / "tree.tar"
        archive.write_bytes(archive_of(tree, plan["send"]))
        copy_tree.Tree(Module(), str(dest)).apply(plan, str(archive))
    return plan


@pytest.mark.skipif(os.geteuid() != 0, reason="sets root as the owner, as on a node")
def test_the_module_applies_the_plan_and_a_second_run_changes_nothing(site, tmp_path):
    dest = tmp_path / "node" / "sites" / "blog"
    assert copy_once(site, dest, tmp_path)["changed"]
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) == [
        "css",
        "css/site.css",
        "index.html",
        "style.css",
    ]
    assert (dest / "style.css").read_text() == "h1 {}\n" and not (dest / "style.css").is_symlink()
    assert oct((dest / "index.html").stat().st_mode & 0o777) == "0o644"
    assert not copy_once(site, dest, tmp_path)["changed"]
    # The user deletes a page, keeps a note of their own on the node.
    (site / "index.html").unlink()
    (dest / "notes.txt").write_text("mine\n")
    plan = copy_once(site, dest, tmp_path)
    assert plan["remove"] == ["index.html"]
    assert not (dest / "index.html").exists() and (dest / "notes.txt").exists()
    assert "index.html" not in Path(f"{dest}.shipped").read_text()
    assert not copy_once(site, dest, tmp_path)["changed"]


PRESERVED = {**ATTRS, "mode": "preserve"}


@pytest.fixture
def context(tmp_path):
    """A build context as the images role ships it: a .dockerignore that must
    travel, an entrypoint that must stay executable, a private file."""
    src = tmp_path / "recipe"
    src.mkdir()
    (src / "Dockerfile").write_text("FROM scratch\n")
    (src / ".dockerignore").write_text("*.md\n")
    (src / "entrypoint.sh").write_text("#!/bin/sh\n")
    (src / "entrypoint.sh").chmod(0o755)
    (src / "secret.conf").write_text("x\n")
    (src / "secret.conf").chmod(0o600)
    (src / "ignore.link").symlink_to(".dockerignore")
    return src


def test_dotfiles_ship_when_asked_and_links_into_them_too(context):
    tree = local_tree(str(context), dotfiles=True)
    assert tree["problems"] == [] and tree["left_out"] == []
    assert sorted(tree["files"]) == [
        ".dockerignore",
        "Dockerfile",
        "entrypoint.sh",
        "ignore.link",
        "secret.conf",
    ]
    # Without dotfiles the same link is refused, as for a site.
    assert "into a dot entry" in local_tree(str(context))["problems"][0]


def test_preserve_gives_each_file_its_own_mode(context):
    tree = local_tree(str(context), dotfiles=True)
    plan = tree_plan(tree, {}, None, DEST, PRESERVED)
    assert plan["modes"] == {
        ".dockerignore": "0644",
        "Dockerfile": "0644",
        "entrypoint.sh": "0755",
        "ignore.link": "0644",
        "secret.conf": "0600",
    }
    # Converged: nothing to send or fix; a mode changed on the controller is fixed.
    held = held_like(tree)
    assert not tree_plan(tree, held, shipped_manifest(tree), DEST, PRESERVED)["changed"]
    held["entrypoint.sh"] = {**held["entrypoint.sh"], "mode": "0644"}
    plan = tree_plan(tree, held, shipped_manifest(tree), DEST, PRESERVED)
    assert plan["fix"] == ["entrypoint.sh"] and plan["modes"] == {"entrypoint.sh": "0755"}
    # A fixed mode instead: every file gets it.
    assert set(tree_plan(tree, {}, None, DEST, ATTRS)["modes"].values()) == {"0644"}


@pytest.mark.skipif(os.geteuid() != 0, reason="sets root as the owner, as on a node")
def test_the_module_keeps_modes_and_dotfiles_when_asked(context, tmp_path):
    dest = tmp_path / "node" / "recipes" / "caddy"
    plan = copy_once(context, dest, tmp_path, PRESERVED, dotfiles=True)
    assert plan["changed"] and plan["foreign"] == []
    assert (dest / ".dockerignore").read_text() == "*.md\n"
    assert oct((dest / "entrypoint.sh").stat().st_mode & 0o777) == "0o755"
    assert oct((dest / "secret.conf").stat().st_mode & 0o777) == "0o600"
    assert not copy_once(context, dest, tmp_path, PRESERVED, dotfiles=True)["changed"]
    (context / "entrypoint.sh").chmod(0o700)
    plan = copy_once(context, dest, tmp_path, PRESERVED, dotfiles=True)
    assert plan["fix"] == ["entrypoint.sh"] and plan["send"] == []
    assert oct((dest / "entrypoint.sh").stat().st_mode & 0o777) == "0o700"


def test_the_module_writes_nothing_outside_its_directory(tmp_path):
    tree = copy_tree.Tree(Module(), str(tmp_path / "blog"))
    for rel in ("../etc/passwd", "/etc/passwd", "a/../../x", ".."):
        with pytest.raises(AssertionError, match="not a plain path inside"):
            tree.path(rel)
    (tmp_path / "blog").mkdir()
    (tmp_path / "blog" / "up").symlink_to(tmp_path)
    with pytest.raises(AssertionError, match="leads out of"):
        tree.path("up/x")
