# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Docker SDK for Python, for the modules that talk to an engine: imported
once here, so that a node without it gets one message that says how to install
it, whichever module needed it first."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import docker
    import docker.errors
    import docker.utils.build

    IMPORT_ERROR = None
except ImportError:  # require() says how to install it
    docker = None
    IMPORT_ERROR = traceback.format_exc()


def require(module) -> None:
    """Fail the module when the SDK is missing, naming the package that brings it."""
    if IMPORT_ERROR is not None:
        module.fail_json(
            msg=missing_required_lib(
                "docker (the Docker SDK for Python)",
                reason="to talk to the Docker Engine; on Debian and Raspberry Pi OS: "
                "apt install python3-docker",
            ),
            exception=IMPORT_ERROR,
        )
