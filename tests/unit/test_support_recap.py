"""The one PLAY RECAP parser (tests/support/recap.py), table-driven.

recaps/colour-free.txt and recaps/colour.txt are the whole output of one real
ansible-playbook run (ansible-core 2.19, this repository's ansible.cfg, with
ANSIBLE_NOCOLOR=1 and then ANSIBLE_FORCE_COLOR=1) of RECAP_PLAY in
test_support_ansible.py, which runs that play again and wants the same
recap: four hosts, one with a name longer than the 26 columns the recap pads
to, every count non-zero somewhere, pi3 failed, pi4 unreachable, and
profile_tasks' times after the recap.
"""

from pathlib import Path

import pytest

from tests.support import recap

HERE = Path(__file__).resolve().parent
COLOUR_FREE = (HERE / "recaps" / "colour-free.txt").read_text()
COLOUR = (HERE / "recaps" / "colour.txt").read_text()


KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


def counts(**nonzero):
    return {**dict.fromkeys(KEYS, 0), **nonzero}


RUN = {
    "pi-with-a-rather-long-name.lab.example.org": counts(ok=1, skipped=4),
    "pi1": counts(ok=3, changed=2, skipped=2, rescued=1, ignored=1),
    "pi3": counts(ok=2, failed=1, skipped=2),
    "pi4": counts(unreachable=1),
}

HEADER = "PLAY RECAP " + "*" * 69 + "\n"
CHECK_MODE = (
    HEADER + "localhost                  : ok=2    changed=1    unreachable=0    failed=0    "
    "skipped=0    rescued=0    ignored=0   \n"
    "pi1                        : ok=40   changed=0    unreachable=0    failed=0    "
    "skipped=12   rescued=0    ignored=0   \n"
)
CHECKED = {"localhost": counts(ok=2, changed=1), "pi1": counts(ok=40, skipped=12)}

# A task may print a line that looks like a recap line: before the recap it is not one.
LOOKALIKE = "TASK [Show]\nok: [pi1] =>\n    msg: fine\npi1 : ok=9 changed=9\n\n"

# stderr comes in with stdout: a warning may land among the recap lines.
WARNED = CHECK_MODE.replace("\npi1", "\n[WARNING]: a late warning\npi1")

AD_HOC = 'pi1 | SUCCESS => {\n    "changed": false,\n    "ping": "pong"\n}\n'

# A run killed before its recap (drill 4 kills one).
KILLED = COLOUR_FREE[: COLOUR_FREE.index("PLAY RECAP")]


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        pytest.param(COLOUR_FREE, RUN, id="colour-free"),
        pytest.param(COLOUR, RUN, id="in-colour"),
        pytest.param(CHECK_MODE, CHECKED, id="localhost-too"),
        pytest.param(LOOKALIKE + CHECK_MODE, CHECKED, id="lookalike-before"),
        pytest.param(WARNED, CHECKED, id="warning-inside"),
        pytest.param(
            CHECK_MODE + "\n" + CHECK_MODE,
            {host: {k: 2 * v for k, v in c.items()} for host, c in CHECKED.items()},
            id="two-runs-add-up",
        ),
        pytest.param(AD_HOC, {}, id="ad-hoc-no-recap"),
        pytest.param(KILLED, {}, id="killed-before-recap"),
        pytest.param("", {}, id="nothing"),
    ],
)
def test_parse(output, expected):
    assert recap.parse(output) == expected


@pytest.mark.parametrize(
    ("output", "ignore", "expected"),
    [
        pytest.param(
            COLOUR_FREE,
            (),
            {"pi-with-a-rather-long-name.lab.example.org": 0, "pi1": 2, "pi3": 0, "pi4": 0},
            id="every-host",
        ),
        pytest.param(CHECK_MODE, ("localhost",), {"pi1": 0}, id="but-localhost"),
        pytest.param(AD_HOC, (), {}, id="no-recap"),
    ],
)
def test_changed(output, ignore, expected):
    assert recap.changed(recap.parse(output), ignore) == expected
