import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "reference_solutions" / "rnn_bptt"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The hostile tests race limits against the clock: `make test` runs them alone."""
    hostile = ROOT / "tests" / "hostile"
    for item in items:
        if hostile in Path(item.path).parents:
            item.add_marker(pytest.mark.serial)
