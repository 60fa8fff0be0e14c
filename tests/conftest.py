import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "reference_solutions" / "rnn_bptt"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
