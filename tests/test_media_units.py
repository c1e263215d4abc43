"""Pure pieces of the media engine: the spanned view, name rules, ZIP64 fields, the progress meter."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mabs_wizard.events import Progress
from mabs_wizard.media.models import format_bytes
from mabs_wizard.media.progress import ProgressMeter
from mabs_wizard.media.safety import path_problem, windows_key
from mabs_wizard.media.spanned import SpannedReader
from mabs_wizard.media.zipformat import CENTRAL_HEADER, CENTRAL_SIG, _parse_central
from mabs_wizard.media.zipwriter import even_sizes
from tests.fuzzing import examples


@settings(max_examples=examples(60), deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=6),
    reads=st.lists(st.tuples(st.integers(min_value=0, max_value=2000), st.integers(min_value=0, max_value=700)),
                   min_size=1, max_size=10),
)
def test_spanned_reader_reads_like_the_concatenation(tmp_path_factory: pytest.TempPathFactory, sizes: list[int],
                                                     reads: list[tuple[int, int]]) -> None:
    folder = tmp_path_factory.mktemp("span")
    blob = bytes((i * 7 + 3) % 251 for i in range(sum(sizes)))
    paths, at = [], 0
    for i, size in enumerate(sizes):
        path = folder / f"p{i}"
        path.write_bytes(blob[at : at + size])
        paths.append(path)
        at += size
    with SpannedReader(paths) as reader:
        assert reader.size == len(blob)
        for offset, length in reads:
            buffer = bytearray(length)
            n = reader.readinto_at(offset, buffer)
            assert bytes(buffer[:n]) == blob[offset : offset + length]
        reader.seek(0)
        assert reader.read() == blob  # io.RawIOBase behaviour, as zipfile uses it
        for offset in range(0, len(blob), 17):
            assert blob[offset : offset + 1] and reader.part_name(offset) == paths[
                next(i for i in range(len(sizes)) if sum(sizes[: i + 1]) > offset)].name


@pytest.mark.parametrize("name", ["Setup.exe", "a/b/c.msi", "Docs/", "./Setup.exe", "Ünïcode/файл.txt", "a b/c d"])
def test_safe_names(name: str) -> None:
    assert path_problem(name) is None


@pytest.mark.parametrize(("name", "reason"), [
    ("", "empty"), ("../x", ".."), ("a/../../x", ".."), ("/etc/passwd", "absolute"), ("C:/x", "drive letter"),
    ("c:x", "drive letter"), ("a\\b", "backslash"), ("a//b", "empty path component"), ("a/b:c", "':'"),
    ("a\x00b", "NUL"), ("a\nb", "control character"), ("Docs/CON", "reserved Windows device"),
    ("nul.txt", "reserved Windows device"), ("Docs./a", "ends with a dot"), ("a /b", "ends with a dot or space"),
])
def test_unsafe_names(name: str, reason: str) -> None:
    problem = path_problem(name)
    assert problem is not None and reason in problem


def test_windows_key_folds_case_and_unicode_forms() -> None:
    assert windows_key(["SETUP.EXE"]) == windows_key(["setup.exe"])
    assert windows_key(["e\u0301"]) == windows_key(["\u00e9"])


def test_zip64_fields_are_read_from_the_extra_field() -> None:
    name = b"big.bin"
    extra = struct.pack("<2H3Q", 1, 24, 5 * 2**32, 5 * 2**32, 6 * 2**32)
    header = CENTRAL_HEADER.pack(CENTRAL_SIG, 45, 3, 45, 0, 0, 0, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, len(name),
                                 len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
    [entry] = _parse_central(header + name + extra, 1, None, 0)  # type: ignore[arg-type]
    assert (entry.file_size, entry.compress_size, entry.header_offset) == (5 * 2**32, 5 * 2**32, 6 * 2**32)


def test_progress_meter_throttles_and_reports_rate_and_eta() -> None:
    now = [0.0]
    events: list[Progress] = []
    meter = ProgressMeter(events.append, "extraction", total=1000, files_total=2, clock=lambda: now[0])
    for _ in range(100):  # a burst within one interval: one event, not a hundred
        meter.advance(1)
    assert len(events) == 1
    now[0] = 1.0
    meter.advance(400)
    assert events[-1].done == 500 and events[-1].rate == pytest.approx(500.0) and events[-1].eta == pytest.approx(1.0)
    meter.file_finished()
    meter.finish()
    assert events[-1].files_done == 1 and events[-1].files_total == 2


def test_even_sizes_and_format_bytes() -> None:
    assert even_sizes(10, 3) == [4, 3, 3]
    assert sum(even_sizes(10**9 + 7, 8)) == 10**9 + 7
    with pytest.raises(ValueError):
        even_sizes(2, 3)
    assert [format_bytes(n) for n in (0, 1023, 1024, 3 * 2**30 + 2**29)] == ["0 B", "1023 B", "1.0 KiB", "3.5 GiB"]


def test_spanned_reader_names_unreadable_parts(tmp_path: Path) -> None:
    from mabs_wizard.errors import InputError

    (tmp_path / "a").write_bytes(b"x")
    with pytest.raises(InputError, match="b: cannot be read"):
        SpannedReader([tmp_path / "a", tmp_path / "b"])
