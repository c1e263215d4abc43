"""Reading a facts file: the encodings Windows writes, JSON, the schema version.

What a facts file can look like when it arrives (MicrosoftDocs/PowerShell-Docs
`reference/5.1/Microsoft.PowerShell.Core/About/about_Character_Encoding.md`):

* collect-facts.ps1 -Path: UTF-8 without a byte-order mark (it writes the file itself);
* Windows PowerShell 5.1 `>` / `Out-File`: UTF-16 LE with a BOM; `Out-File -Encoding UTF8`: UTF-8
  with a BOM; `-Encoding BigEndianUnicode`: UTF-16 BE with a BOM;
* PowerShell 7 `>`: UTF-8 without a BOM;
* cmd.exe `>`: the console's OEM code page (437, 850, ...); Windows PowerShell 5.1 `Set-Content`:
  the ANSI code page (1252, ...).

The first four are read. Anything else is refused with the encoding it looks like and the one
command that collects the file again: guessing a code page would silently turn a volume label or an
account name into different characters.

Every message is one line that reads on its own and after the answers file's
``FILE:LINE:COL: prerequisites.facts_file: `` prefix.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mabs_wizard.errors import InputError
from mabs_wizard.facts.model import FactsV1, TargetFacts

MAX_FACTS_BYTES = 2_000_000
COLLECTOR = "collect-facts.ps1"

# Checked in this order: a UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str, str | None], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32 LE", None),
    (codecs.BOM_UTF32_BE, "UTF-32 BE", None),
    (codecs.BOM_UTF8, "UTF-8 with a byte-order mark", "utf-8"),
    (codecs.BOM_UTF16_LE, "UTF-16 LE", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "UTF-16 BE", "utf-16-be"),
)


def collect_command(file_name: str = "<COMPUTER>.json", scratch: str | None = None) -> str:
    """The one command that collects facts on the target; it works pasted into cmd.exe, Windows
    PowerShell 5.1 and PowerShell 7 alike (all three find powershell.exe on the PATH)."""
    cmd = f"powershell -NoProfile -ExecutionPolicy Bypass -File {COLLECTOR} -Path {_quote(file_name)}"
    return cmd + (f" -ScratchPath {_quote(scratch)}" if scratch else "")


def _quote(arg: str) -> str:
    # Double quotes mean the same to cmd.exe and to PowerShell; a bare word needs none.
    return f'"{arg}"' if any(c in arg for c in " \t&()^;,'<>|") else arg


class FactsEncodingError(ValueError):
    """The bytes are not in an encoding the reader accepts; the message names what they look like."""


def decode_facts(raw: bytes) -> str:
    """The text of a facts file, or FactsEncodingError naming the encoding it seems to be in."""
    for bom, name, codec in _BOMS:
        if raw.startswith(bom):
            if codec is None:
                raise FactsEncodingError(f"is encoded as {name}, which the wizard does not read")
            try:
                return raw[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                raise FactsEncodingError(f"starts with a {name} byte-order mark but byte {exc.start + len(bom)} is not {name} "
                                         "(the file is cut short or damaged)") from None
    if b"\x00" in raw:
        raise FactsEncodingError(_nul_kind(raw))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FactsEncodingError(_eight_bit_kind(raw, exc.start)) from None


def _nul_kind(raw: bytes) -> str:
    """NUL bytes: UTF-16 without its BOM (every other byte NUL for ASCII text), or binary data."""
    head = raw[:512]
    even, odd = head[0::2], head[1::2]
    if odd and odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return ("is UTF-16 LE without a byte-order mark; Windows PowerShell writes UTF-16 only with one, "
                "so the file was re-saved or cut")
    if even and even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return ("is UTF-16 BE without a byte-order mark; Windows PowerShell writes UTF-16 only with one, "
                "so the file was re-saved or cut")
    return "holds binary data (NUL bytes), not a JSON text file"


def _eight_bit_kind(raw: bytes, bad: int) -> str:
    """Not UTF-8: an 8-bit code page, told apart by where its non-ASCII bytes fall."""
    controls = sum(1 for b in raw[:4096] if b < 0x20 and b not in (0x09, 0x0A, 0x0D))
    if controls > 0.05 * min(len(raw), 4096):
        return "holds binary data, not a JSON text file"
    line = raw.count(b"\n", 0, bad) + 1
    col = bad - (raw.rfind(b"\n", 0, bad) + 1) + 1
    where = f"byte 0x{raw[bad]:02X} at line {line}, column {col} is not UTF-8"
    # cmd.exe's '>' writes the OEM code page, whose common accented letters sit at 0x80-0xA5
    # (cp850/437: a-umlaut 0x84, u-umlaut 0x81, e-acute 0x82); the ANSI code page (1252) has
    # punctuation there and its letters at 0xC0-0xFF (a-umlaut 0xE4, u-umlaut 0xFC).
    oem = sum(1 for b in raw if 0x80 <= b <= 0xA5)
    ansi = sum(1 for b in raw if b >= 0xC0)
    if oem > ansi:
        return f"looks like an OEM code page such as 850 or 437, as cmd.exe's '>' writes it ({where})"
    if ansi > oem:
        return f"looks like an ANSI code page such as 1252, as Windows PowerShell's Set-Content writes it ({where})"
    return f"looks like text in an 8-bit Windows code page (OEM 850/437 or ANSI 1252), not UTF-8 ({where})"


def parse_facts(raw: bytes, where: str, file_name: str = "<COMPUTER>.json") -> TargetFacts:
    """Facts from a file's bytes; ``where`` names the file in messages, ``file_name`` goes in the
    command that collects it again."""
    again = f"collect the facts again on the target with: {collect_command(file_name)}"
    if not raw.strip():
        raise InputError(f"{where}: facts file is empty; {again}")
    try:
        text = decode_facts(raw)
    except FactsEncodingError as exc:
        raise InputError(f"{where}: facts file {exc} - the wizard reads UTF-8 or UTF-16 with a byte-order mark; "
                         f"{again} (the script writes UTF-8 itself; do not redirect its output)") from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg}); {again}") from None
    if not isinstance(data, dict):
        raise InputError(f"{where}: not a facts file (a JSON {type(data).__name__}, where an object is expected); {again}")
    version = data.get("version", 1)
    try:
        if version == 1:
            return FactsV1.model_validate(data).upgrade()
        if version == 2:
            return TargetFacts.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{where}: {'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise InputError(f"{where}: invalid facts file", problems) from None
    raise InputError(f"{where}: version: facts file version {version!r} is not one this wizard reads (1 or 2); {again}")


def load_facts(path: Path) -> TargetFacts:
    """Facts from a file collected on the target (InputError, exit 2, for anything unreadable)."""
    from mabs_wizard.fsutil import read_bounded

    raw = read_bounded(path, MAX_FACTS_BYTES, what="a facts file",
                       missing=f"{path}: no such facts file; collect it on the target with: {collect_command(path.name)}",
                       too_large=f"{path}: facts file larger than {MAX_FACTS_BYTES // 1_000_000} MB; not a facts file")
    return parse_facts(raw, str(path), path.name)
