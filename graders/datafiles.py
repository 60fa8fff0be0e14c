"""Data files a notebook reads: the instructor's own (--data DIR) or stand-ins we make.

Stand-ins carry the *same file names* the original handout reads, and are made so that the
handout's own loading code yields what it expects (for origin_of_species.txt: the same character
set, because the handout filters characters by their position in the sorted set).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from graders import datasets

# The lower-cased characters of the course's origin_of_species.txt, in sorted order. The handout
# keeps positions 25 and up (after inserting '\0'), so the stand-in must have exactly these.
DARWIN_CHARSET = "\n !\"'(),-./0123456789:;?abcdefghijklmnopqrstuvwxyz"


def make_origin_of_species_standin(min_chars: int = 200_000) -> str:
    """English prose from the standard library's pydoc topics, reduced to DARWIN_CHARSET."""
    from pydoc_data import topics

    allowed = set(DARWIN_CHARSET)
    pieces = [topics.topics[k] for k in sorted(topics.topics)]
    text = "".join(ch if ch in allowed else " " for ch in "\n\n".join(pieces).lower())
    text = re.sub(r"[ ]{2,}", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    while len(text) < min_chars:
        text += "\n" + text
    # Every character of the set must occur, or the handout's positions shift.
    text += "\n" + "".join(sorted(allowed - {"\n"})) + "\n"
    missing = allowed - set(text)
    assert not missing, f"stand-in lacks {sorted(missing)}"
    return text


# Each maker gets the assignment's folder (for stand-ins made with its support files).
STANDINS: dict[str, Callable[[Path], str | bytes]] = {
    "origin_of_species": lambda folder: make_origin_of_species_standin(),
    "nist36_train": lambda folder: datasets.nist36_standin("train"),
    "nist36_valid": lambda folder: datasets.nist36_standin("valid"),
    "nist36_test": lambda folder: datasets.nist36_standin("test"),
    "mnist_pkl": lambda folder: datasets.mnist_pkl_standin(),
    # A network of the handout's own Network class: needs Network.py beside the spec.
    "autoencoder_net": lambda folder: datasets.autoencoder_net_standin(folder.resolve()),
    # Keras's Fashion-MNIST cache (name them .keras/datasets/fashion-mnist/<file>: the kernel's
    # KERAS_HOME is the run folder's .keras), so fashion_mnist.load_data() never downloads. No
    # mnist.npz: Keras checks that file's SHA-256 and would fetch the real one over a stand-in.
    **{f"keras_fashion_{key}": (lambda folder, key=key: datasets.keras_fashion_standin(key))
       for key in datasets.KERAS_FASHION_FILES},
}


@dataclass(frozen=True)
class StagedFile:
    name: str
    path: Path  # the copy in the run folder
    origin: str  # "course data" or "stand-in"


def stage_data(files: Sequence[tuple[str, str]], run_dir: Path, data_dir: Path | None,
               assignment_dir: Path) -> list[StagedFile]:
    """Copy each (name, standin) into run_dir, run_dir/data and run_dir/../data, where real
    submissions look for them. The instructor's file wins; otherwise the stand-in is written.
    A file with neither is left out (the notebook's own error will say so)."""
    staged = []
    for name, standin in files:
        found = data_content(name, standin, data_dir, assignment_dir)
        if found is None:
            continue
        origin, content = found
        for folder in (run_dir, run_dir / "data", run_dir.parent / "data"):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(content)
        staged.append(StagedFile(name=name, path=run_dir / name, origin=origin))
    return staged


def data_content(name: str, standin: str, data_dir: Path | None,
                 assignment_dir: Path) -> tuple[str, bytes] | None:
    """(origin, bytes) of one data file: the instructor's copy in data_dir, else the stand-in
    (made with the assignment's folder), else None."""
    source = data_dir / name if data_dir is not None else None
    if source is not None and source.is_file():
        return "course data", source.read_bytes()
    if standin:
        made = STANDINS[standin](assignment_dir)
        return "stand-in", made.encode("utf-8") if isinstance(made, str) else made
    return None


def stage_support_files(names: Sequence[str], source_dir: Path, run_dir: Path) -> None:
    """Modules the handout ships beside the notebook (util.py, Network.py, ...)."""
    for name in names:
        shutil.copyfile(source_dir / name, run_dir / name)
