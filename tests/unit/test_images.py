"""Rules of the images role: builders, builds, registry names (its inputs:
test_inputs.py; streaming over SSH: test_image_stream.py; the copies of the
recipes are copy_tree's: test_shipped.py)."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.filter.images import FilterModule
from ansible_collections.pifleet.swarm.plugins.plugin_utils._images import (
    builders,
    plan,
    registry_manifests,
    registry_refs,
    wanted,
    with_dirs,
)


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


def test_wanted_pairs_refs_with_hashes_and_image_ids():
    built = [{"hash": "h1", "image": {"id": "sha256:i1"}}, {"hash": "h2"}]
    assert wanted(["a:1", "b:2"], built) == [
        {"ref": "a:1", "hash": "h1", "id": "sha256:i1"},
        {"ref": "b:2", "hash": "h2", "id": ""},
    ]


H1 = "a1" * 32
H2 = "b2" * 32


def test_registry_refs_name_each_build_by_its_hash():
    build = {"ref": "pifleet/caddy:2", "hash": H1, "id": "sha256:i1"}
    refs = registry_refs([build], "10.0.0.1:5000")
    assert refs == [
        {
            "ref": "pifleet/caddy:2",
            "hash": H1,
            "id": "sha256:i1",
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
    assert streamed == {"builds": [{"ref": "pifleet/caddy:2", "hash": H1, "id": ""}]}
    (pushed,) = plan(built=built, refs=["pifleet/caddy:2"], registry="10.0.0.1:5000")["builds"]
    assert pushed["remote"] == f"10.0.0.1:5000/pifleet/caddy:2-{H1[:12]}"


def test_plan_refuses_builds_that_do_not_match_the_recipes():
    with pytest.raises(ValueError):
        plan(built=[{"hash": H1}], refs=["a:1", "b:1"])


BUILD = {
    "ref": "pifleet/caddy:2",
    "hash": H1,
    "id": "sha256:" + "c" * 64,
    "remote": f"10.0.0.1:5000/pifleet/caddy:2-{H1[:12]}",
    "path": "pifleet/caddy",
    "tag": f"2-{H1[:12]}",
}
DIGEST = "sha256:" + "d" * 64


def answer(status=200, config=BUILD["id"], digest=DIGEST, build=BUILD):
    """A uri result for GET /v2/<path>/manifests/<tag>."""
    out = {"item": build, "status": status, "docker_content_digest": digest}
    if status == 200:
        out["json"] = {"schemaVersion": 2, "config": {"digest": config}}
    return out


def test_the_registry_holds_a_build_when_its_manifest_names_the_builders_image():
    (held,) = registry_manifests([answer()])
    assert held["held"] and held["pull"] == f"10.0.0.1:5000/pifleet/caddy@{DIGEST}"
    assert held["ref"] == "pifleet/caddy:2"


def test_an_image_named_by_its_manifest_digest_is_held_by_that_digest():
    """The containerd image store's id is the digest of the manifest (or
    index, which names no config) that was pushed."""
    reply = answer(config="", digest=BUILD["id"])
    del reply["json"]["config"]
    (held,) = registry_manifests([reply])
    assert held["held"] and held["pull"] == f"10.0.0.1:5000/pifleet/caddy@{BUILD['id']}"


@pytest.mark.parametrize(
    "reply",
    [
        answer(status=404),
        # Someone pushed another image under the build's tag (its labels may
        # copy the hash label: only the config digest, the image id, tells).
        answer(config="sha256:" + "e" * 64),
        # No digest header: nothing to pull by.
        answer(digest=""),
        # Check mode before a first build: no image id to compare with.
        answer(build={**BUILD, "id": ""}),
    ],
)
def test_anything_else_is_not_held(reply):
    (out,) = registry_manifests([reply])
    assert not out["held"] and out["pull"] == ""


def test_the_filter_takes_a_registered_loop():
    manifests = FilterModule().filters()["images_registry_manifests"]
    assert manifests({"results": [answer(), {"skipped": True, "item": BUILD}]})[0]["held"]
    assert manifests({"skipped": True, "results": []}) == []
    with pytest.raises(AnsibleFilterError):
        manifests("nope")
