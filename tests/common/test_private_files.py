"""Files holding personal data: owner-only modes, atomic replacement, nothing left behind on failure."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.private_files import PrivateFile, make_private_directories


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _permissive_umask() -> Iterator[None]:
    """A umask that would leave files readable by everyone: the modes must not depend on it."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_committed_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "cohort.csv"
    with PrivateFile(path) as output:
        output.handle.write("cnie\nBE123456\n")
    assert path.read_text(encoding="utf-8") == "cnie\nBE123456\n"
    assert _mode(path) == 0o600
    assert list(tmp_path.iterdir()) == [path], "no temporary file is left behind"


def test_the_file_is_private_while_it_is_being_written(tmp_path: Path) -> None:
    output = PrivateFile(tmp_path / "cohort.csv")
    output.handle.write("cnie\n")
    (temporary,) = tmp_path.iterdir()
    assert temporary.name.startswith(".cohort.csv.")
    assert _mode(temporary) == 0o600
    output.discard()


def test_missing_directories_are_created_owner_only_and_existing_ones_are_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    path = tmp_path / "exports" / "2024" / "cohort.csv"
    with PrivateFile(path) as output:
        output.handle.write("x")
    assert _mode(tmp_path / "exports") == _mode(tmp_path / "exports" / "2024") == 0o700
    assert _mode(tmp_path) == 0o755
    make_private_directories(tmp_path / "exports")
    assert _mode(tmp_path / "exports") == 0o700


def test_a_failed_write_leaves_the_previous_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "cohort.csv"
    path.write_text("old\n", encoding="utf-8")

    def interrupted_write() -> None:
        with PrivateFile(path) as output:
            output.handle.write("new, half written")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        interrupted_write()
    assert path.read_text(encoding="utf-8") == "old\n"
    assert list(tmp_path.iterdir()) == [path]


def test_a_replaced_file_takes_the_private_mode(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o644)
    with PrivateFile(path) as output:
        output.handle.write("new\n")
    assert (path.read_text(encoding="utf-8"), _mode(path)) == ("new\n", 0o600)


def test_a_file_is_committed_once(tmp_path: Path) -> None:
    output = PrivateFile(tmp_path / "a.csv")
    output.commit()
    output.discard()  # nothing to do after a commit
    assert (tmp_path / "a.csv").exists()
    with pytest.raises(ValueError, match="already committed"):
        output.commit()


def test_an_unwritable_place_is_an_os_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(NotADirectoryError):
        PrivateFile(blocker / "cohort.csv")
