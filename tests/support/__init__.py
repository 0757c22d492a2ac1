"""What every test harness of the collection shares: running Ansible
(tests.support.ansible), reading its PLAY RECAP (tests.support.recap) and the
lab fleets lab/lab.sh and lab/vm.sh make (tests.support.lab).

Its users import it as tests.support from the repository's root on sys.path:
pytest puts it there for the unit tests, the drills and molecule's testinfra
verify step (`pythonpath` in pyproject.toml; molecule runs pytest in a
scenario's tests/ directory, under the same rootdir), and `python -m bench`
from the repository does for the bench.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
