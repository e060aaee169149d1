import os

import pytest

# Tests are sized for the 2-core CPU machines; more threads only contend.
os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(scope='session')
def shapes_root(tmp_path_factory):
    """A tiny synthetic confounded benchmark (12 train, 4 val), read-only."""
    from round_loop import make_shapes
    return make_shapes(tmp_path_factory.mktemp('shapes') / 'data')
