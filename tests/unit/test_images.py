"""Rules of the images role: builders, stale files, registry names (its inputs:
test_inputs.py; streaming over SSH: test_image_stream.py)."""

import base64

import pytest
from ansible_collections.pifleet.swarm.plugins.module_utils._shipped import render_manifest
from ansible_collections.pifleet.swarm.plugins.plugin_utils._images import (
    MANIFEST_HEADER,
    builders,
    plan,
    registry_refs,
    wanted,
    with_dirs,
)


def images_manifest(entries: list[str]) -> str:
    return render_manifest(entries, MANIFEST_HEADER)


def test_one_builder_per_arch_first_by_name():
    plan = builders({"pi3": "aarch64", "pi1": "x86_64", "pi2": "aarch64", "pi4": "armv7l"})
    assert plan == {"x86_64": "pi1", "aarch64": "pi2", "armv7l": "pi4"}


def test_recipe_dirs_from_src_or_the_shipped_recipe():
    recipes = [{"name": "pifleet/caddy", "recipe": "caddy"}, {"name": "hello", "src": "/r/hello/"}]
    dirs = with_dirs(recipes, "/srv/build/", "/roles/images/files/recipes")
    assert [(d["source_dir"], d["context_dir"]) for d in dirs] == [
        ("/roles/images/files/recipes/caddy", "/srv/build/pifleet_caddy"),
        ("/r/hello", "/srv/build/hello"),
    ]
    assert dirs[0]["name"] == "pifleet/caddy" and "source_dir" not in recipes[0]
    # A tag YAML read as a number is named as the user wrote it; no tag is latest.
    tagged = with_dirs([{"name": "app", "recipe": "a", "tag": 2}], "/b", "/r")
    assert tagged[0]["ref"] == "app:2" and dirs[1]["ref"] == "hello:latest"


def _manifest(text):
    return {"content": base64.b64encode(text.encode()).decode()}


def test_copies_from_registered_results():
    # Registered loop results as ansible-core 2.21 returns them: no
    # `invocation` (INJECT_INVOCATION defaults to False there); each names its
    # recipe in `item`. A slurp of a missing manifest failed (failed_when: false).
    (item,) = with_dirs([{"name": "pifleet/caddy", "recipe": "caddy"}], "/srv/b", "/rec")
    root = "/srv/b/pifleet_caddy"
    shipped = [{"item": item, "files": [{"path": "/rec/caddy/Dockerfile"}]}]
    held = [{"item": item, "files": [{"path": f"{root}/Dockerfile"}, {"path": f"{root}/old"}]}]

    first_run = plan(
        placed=[{"item": item, "failed": False, "msg": "file not found"}], shipped=shipped
    )
    # Recorded before the copy; nothing to remove (the role placed nothing yet).
    assert first_run == {
        "record_first": [{"path": f"{root}.shipped", "content": images_manifest(["Dockerfile"])}]
    }
    after_copy = plan(placed=[{"item": item, "failed": False}], shipped=shipped, held=held)
    assert after_copy["stale"] == [] and after_copy["record_last"] == []

    # A later run: the manifest lists "old", the recipe no longer ships it.
    placed = [{"item": item, **_manifest(images_manifest(["Dockerfile", "old"]))}]
    later = plan(placed=placed, shipped=shipped, held=held)
    assert later["record_first"] == []  # the manifest already covers the copy
    assert later["stale"] == [f"{root}/old"]
    assert later["record_last"] == [
        {"path": f"{root}.shipped", "content": images_manifest(["Dockerfile"])}
    ]

    # Steady state: no manifest to write, nothing to remove.
    placed = [{"item": item, **_manifest(images_manifest(["Dockerfile"]))}]
    steady = plan(
        placed=placed, shipped=shipped, held=[{"item": item, "files": held[0]["files"][:1]}]
    )
    assert steady == {"record_first": [], "stale": [], "record_last": []}


def test_a_new_file_is_recorded_before_it_is_copied():
    (item,) = with_dirs([{"name": "a", "src": "/r/a"}], "/srv/b", "/rec")
    placed = [{"item": item, **_manifest(images_manifest(["Dockerfile"]))}]
    shipped = [
        {"item": item, "files": [{"path": "/r/a/Dockerfile"}, {"path": "/r/a/new", "isdir": True}]}
    ]
    out = plan(placed=placed, shipped=shipped)
    assert out["record_first"][0]["content"] == images_manifest(["Dockerfile", "new/"])


def test_wanted_pairs_refs_with_hashes():
    assert wanted(["a:1", "b:2"], [{"hash": "h1"}, {"hash": "h2"}]) == [
        {"ref": "a:1", "hash": "h1"},
        {"ref": "b:2", "hash": "h2"},
    ]


H1 = "a1" * 32
H2 = "b2" * 32


def test_registry_refs_name_each_build_by_its_hash():
    refs = registry_refs([{"ref": "pifleet/caddy:2", "hash": H1}], "10.0.0.1:5000")
    assert refs == [
        {
            "ref": "pifleet/caddy:2",
            "hash": H1,
            "remote": f"10.0.0.1:5000/pifleet/caddy:2-{H1[:12]}",
            "path": "pifleet/caddy",
            "tag": f"2-{H1[:12]}",
        }
    ]


def test_registry_refs_of_two_architectures_never_collide():
    both = registry_refs(
        [{"ref": "web:latest", "hash": H1}, {"ref": "web:latest", "hash": H2}], "reg:5000"
    )
    assert both[0]["remote"] != both[1]["remote"]
    assert {b["path"] for b in both} == {"web"}


@pytest.mark.parametrize(
    ("ref", "path"),
    [
        ("ghcr.io/me/app:1", "me/app"),
        ("myreg:5000/app:1", "app"),
        ("localhost/app:1", "app"),
        ("library/debian:12", "library/debian"),
        ("app:1", "app"),
    ],
)
def test_registry_refs_drop_the_registry_host_of_a_name(ref, path):
    (out,) = registry_refs([{"ref": ref, "hash": H1}], "10.0.0.1:5000")
    assert out["path"] == path
    tag = ref.rpartition(":")[2]
    assert out["remote"] == f"10.0.0.1:5000/{path}:{tag}-{H1[:12]}"


def test_registry_refs_keep_tags_within_dockers_limit():
    (out,) = registry_refs([{"ref": "app:" + "t" * 128, "hash": H1}], "r:5000")
    assert len(out["tag"]) <= 128
    assert out["tag"].endswith("-" + H1[:12])


def test_plan_says_only_what_its_inputs_tell():
    recipes = [{"name": "pifleet/caddy", "recipe": "caddy", "tag": "2"}]
    first = plan(recipes, "/srv/b", "/rec", archs={"pi2": "aarch64", "pi1": "aarch64"})
    assert set(first) == {"recipes", "builders"} and first["builders"] == {"aarch64": "pi1"}
    built = [{"hash": H1, "rebuilt": False}]
    streamed = plan(built=built, refs=["pifleet/caddy:2"])
    assert streamed == {"builds": [{"ref": "pifleet/caddy:2", "hash": H1}]}
    (pushed,) = plan(built=built, refs=["pifleet/caddy:2"], registry="10.0.0.1:5000")["builds"]
    assert pushed["remote"] == f"10.0.0.1:5000/pifleet/caddy:2-{H1[:12]}"


def test_plan_refuses_builds_that_do_not_match_the_recipes():
    with pytest.raises(ValueError):
        plan(built=[{"hash": H1}], refs=["a:1", "b:1"])
