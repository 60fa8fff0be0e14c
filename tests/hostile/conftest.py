import pytest
from hostile import tight_copy_of_assignments


@pytest.fixture(scope="session")
def tight_assignments(tmp_path_factory):
    return tight_copy_of_assignments(tmp_path_factory.mktemp("assignments"))
