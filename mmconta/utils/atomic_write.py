"""Files that are either absent or complete, never half-written."""
import os
import os.path as osp
import tempfile
from typing import Callable, IO

# A leading dot and a suffix other than the final one: a temp file never
# looks like a finished output to a reader that lists a folder.
TMP_PREFIX = '.'
TMP_SUFFIX = '.tmp'


def is_temp_file(name: str) -> bool:
    """Whether ``name`` is a temp file left by :func:`write_atomic`."""
    return name.startswith(TMP_PREFIX) and name.endswith(TMP_SUFFIX)


def prepare_output_dir(folder: str) -> None:
    """Create ``folder`` and remove the temp files a killed writer left.

    Call it from one process, before any writes into the folder start.
    """
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if is_temp_file(name):
            os.remove(osp.join(folder, name))


def write_atomic(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write through ``write(file)`` to a temp name, then rename to ``path``.

    A process killed while writing leaves at most a temp file; concurrent
    writers of the same content leave one whole file.

    Args:
        path (str): Final file.
        write (Callable): Writes the content into an open binary file.
    """
    folder, name = osp.split(path)
    fd, tmp = tempfile.mkstemp(
        dir=folder or '.', prefix=f'{TMP_PREFIX}{name}.', suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
