"""Encryption passphrase: rules, generator, verifier, the passphrase file, the save location, the CLI."""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from mabs_wizard.errors import InputError
from mabs_wizard.passphrase import (
    GENERATED_ALPHABET,
    GENERATED_BITS,
    MIN_LENGTH,
    PassphraseVerifier,
    _inside,
    check_passphrase,
    check_save_location,
    estimate_strength,
    generate_passphrase,
    make_verifier,
    read_passphrase_file,
    verify_passphrase,
    write_passphrase_file,
)

NOW = datetime(2026, 1, 31, 10, 15, tzinfo=UTC)
GOOD = "Correct-Horse-7-Battery"


def levels(findings):
    return {f.code: f.level for f in findings}


def assert_no_leak(findings, value: str) -> None:
    for f in findings:
        text = f.message + f.remedy + f.model_dump_json()
        for i in range(len(value) - 3):
            assert value[i : i + 4] not in text, (value, text)


# ------------------------------------------------------------------------------------------ rules


def test_rules_accept_a_good_passphrase() -> None:
    findings = check_passphrase(GOOD, GOOD)
    assert [f.level for f in findings] == ["pass"]
    assert findings[0].field == "encryption.passphrase"


@pytest.mark.parametrize(
    ("value", "confirm", "code"),
    [
        ("Xq9vKJw7Hpz#3Ln", None, "passphrase.too-short"),
        ("Zürich-Xq9vK-Jw7Hp", None, "passphrase.charset"),  # non-ASCII
        ("Xq9\tvKJw7Hpz#3Lnf", None, "passphrase.charset"),  # control character
        ("Xq9vK\x7fJw7Hpz#3Lnf", None, "passphrase.charset"),  # DEL (127)
        ("Xq9vK-\U0001f512-Jw7Hpz", None, "passphrase.charset"),
        (GOOD, GOOD + "!", "passphrase.confirm-mismatch"),
        (GOOD, GOOD[:-1], "passphrase.confirm-mismatch"),
    ],
)
def test_rules_refuse(value: str, confirm: str | None, code: str) -> None:
    findings = check_passphrase(value, confirm)
    assert levels(findings).get(code) == "error"
    assert not any(f.level == "pass" for f in findings)
    assert_no_leak(findings, value)
    if confirm:
        assert_no_leak(findings, confirm)


def test_exactly_16_printable_characters_is_enough() -> None:
    value = "".join(chr(c) for c in range(33, 33 + 16))
    assert "error" not in levels(check_passphrase(value, value)).values()
    assert "error" not in levels(check_passphrase(" ~" * 8, None)).values()  # 32 and 126 are allowed


def test_edge_spaces_are_a_warning_only() -> None:
    findings = check_passphrase(" " + GOOD + " ", None)
    assert levels(findings)["passphrase.edge-space"] == "warning"
    assert "error" not in levels(findings).values()


def test_huge_values_are_judged_quickly() -> None:
    import time

    started = time.perf_counter()
    assert levels(check_passphrase("ab" * 500_000, None)).get("passphrase.weak") == "warning"
    assert "error" in levels(check_passphrase("x" * 1_000_000 + "\x01", None)).values()
    assert estimate_strength(secrets.token_urlsafe(750_000)).label == "very strong"
    assert time.perf_counter() - started < 3


def test_custom_field_name() -> None:
    assert {f.field for f in check_passphrase("short", None, field="x.y")} == {"x.y"}


# ------------------------------------------------------------------------------------------ strength


@pytest.mark.parametrize("value", ["aaaaaaaaaaaaaaaa", "abcdefghijklmnop", "qwertyuiopasdfgh", "abcabcabcabcabcabc", "1234567890123456"])
def test_patterned_values_are_weak(value: str) -> None:
    assert estimate_strength(value).label == "weak"
    assert levels(check_passphrase(value, None)).get("passphrase.weak") == "warning"


def test_strength_grows_with_length_and_variety() -> None:
    short = estimate_strength("kdjfhgpqowieurty")
    mixed = estimate_strength("k7#Jf!hG2p$Qo9W@")
    assert mixed.bits > short.bits
    assert estimate_strength(generate_passphrase()).label in ("strong", "very strong")
    assert estimate_strength("").bits == 0


# ------------------------------------------------------------------------------------------ generator


def test_ten_thousand_generated_passphrases_pass_and_are_distinct() -> None:
    values = [generate_passphrase() for _ in range(10_000)]
    assert len(set(values)) == len(values)
    for value in values:
        assert len(value) >= MIN_LENGTH
        assert set(value) <= set(GENERATED_ALPHABET)
        assert not [f for f in check_passphrase(value, value) if f.level == "error"]


def test_generator_entropy_and_alphabet() -> None:
    assert GENERATED_BITS >= 128
    assert math.isclose(GENERATED_BITS, len(generate_passphrase()) * math.log2(len(GENERATED_ALPHABET)))
    # Letters that move between QWERTY/QWERTZ/AZERTY/Turkish-Q or look like digits are absent.
    assert not set("aqwzymilo") & set(GENERATED_ALPHABET)
    assert GENERATED_ALPHABET.isalpha() and GENERATED_ALPHABET.islower() and GENERATED_ALPHABET.isascii()
    assert len(set(GENERATED_ALPHABET)) == len(GENERATED_ALPHABET)
    # Every letter actually occurs: the draw is uniform over the whole alphabet.
    assert set("".join(generate_passphrase() for _ in range(200))) == set(GENERATED_ALPHABET)


# ------------------------------------------------------------------------------------------ verifier


def test_verifier_accepts_the_passphrase_and_refuses_one_character_changes() -> None:
    value = generate_passphrase()
    verifier = make_verifier(value)
    assert verify_passphrase(verifier, value)
    swap = {c: GENERATED_ALPHABET[(GENERATED_ALPHABET.index(c) + 1) % len(GENERATED_ALPHABET)] for c in GENERATED_ALPHABET}
    variants = [
        swap[value[0]] + value[1:],
        value[:15] + swap[value[15]] + value[16:],
        value[:-1] + swap[value[-1]],
        value + "b",
        value[:-1],
        value.upper()[:1] + value[1:],
        " " + value,
    ]
    for variant in variants:
        assert variant != value
        assert not verify_passphrase(verifier, variant)


def test_verifier_is_salted_and_holds_no_passphrase() -> None:
    a, b = make_verifier(GOOD), make_verifier(GOOD)
    assert a.salt != b.salt and a.hash != b.hash
    dumped = a.model_dump_json()
    assert GOOD not in dumped and GOOD.encode().hex() not in dumped
    assert a.algorithm == "scrypt" and a.n >= 2**14 and a.r == 8 and a.p == 1
    again = PassphraseVerifier.model_validate_json(dumped)
    assert verify_passphrase(again, GOOD)


@pytest.mark.parametrize(
    "change",
    [
        {"n": 2**30},  # hours of work: refused before any is done
        {"n": 3000},  # not a power of two
        {"r": 1000},
        {"p": 0},
        {"salt": "***"},
        {"hash": "aGk="},  # too short
        {"algorithm": "md5"},
        {"extra": 1},
    ],
)
def test_hostile_verifier_parameters_are_refused(change: dict) -> None:
    base = make_verifier(GOOD).model_dump()
    with pytest.raises(ValidationError):
        PassphraseVerifier.model_validate(base | change)


# ------------------------------------------------------------------------------------------ passphrase file


def test_passphrase_file_is_private_documented_and_round_trips(tmp_path: Path) -> None:
    value = generate_passphrase()
    path = write_passphrase_file(tmp_path, value, vault_name="contoso-mabs-vault", machine="MABS01", now=NOW)
    assert path.name == "MABS-passphrase_contoso-mabs-vault_MABS01_2026-01-31.txt"
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_bytes().decode("ascii")
    assert text.startswith("MABS / MARS backup encryption passphrase\r\n")
    assert "Vault:    contoso-mabs-vault" in text and "Machine:  MABS01" in text and "Created:  2026-01-31T10:15:00Z" in text
    assert "Microsoft does not keep this passphrase" in text
    assert text.count(value) == 1
    assert read_passphrase_file(path) == value
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


def test_passphrase_with_spaces_round_trips(tmp_path: Path) -> None:
    value = "  a passphrase with spaces  "
    path = write_passphrase_file(tmp_path, value, vault_name="v", machine="m", now=NOW)
    assert read_passphrase_file(path) == value


def test_an_existing_passphrase_file_is_never_overwritten(tmp_path: Path) -> None:
    first = write_passphrase_file(tmp_path, "first-passphrase-0001", vault_name="v1", machine="SRV", now=NOW)
    second = write_passphrase_file(tmp_path, "second-passphrase-002", vault_name="v1", machine="SRV", now=NOW)
    assert first != second and second.name.endswith("_2.txt")
    assert read_passphrase_file(first) == "first-passphrase-0001"
    assert read_passphrase_file(second) == "second-passphrase-002"


def test_the_same_passphrase_again_is_the_file_already_written(tmp_path: Path) -> None:
    """A second replay of the same answers writes no second copy (and another day's run neither)."""
    first = write_passphrase_file(tmp_path, "first-passphrase-0001", vault_name="v1", machine="SRV", now=NOW)
    again = write_passphrase_file(tmp_path, "first-passphrase-0001", vault_name="v1", machine="SRV",
                                  now=NOW + timedelta(days=3))
    assert again == first and sorted(p.name for p in tmp_path.iterdir()) == [first.name]
    other_machine = write_passphrase_file(tmp_path, "first-passphrase-0001", vault_name="v1", machine="SRV2", now=NOW)
    assert other_machine != first  # per machine: one file each


def test_odd_names_are_made_safe_for_the_file_name(tmp_path: Path) -> None:
    path = write_passphrase_file(tmp_path, GOOD, vault_name="../../etc/x", machine="A B\\C", now=NOW)
    assert path.parent == tmp_path
    assert re.fullmatch(r"MABS-passphrase_[A-Za-z0-9._-]+_[A-Za-z0-9._-]+_2026-01-31\.txt", path.name)


def test_missing_folder_is_input_error_and_nothing_is_written(tmp_path: Path) -> None:
    missing = tmp_path / "not-there"
    with pytest.raises(InputError) as info:
        write_passphrase_file(missing, GOOD, vault_name="v", machine="m", now=NOW)
    assert str(missing) in str(info.value) and "does not exist" in str(info.value)
    assert GOOD not in str(info.value)
    assert not missing.exists()


def test_invalid_passphrase_is_not_written(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        write_passphrase_file(tmp_path, "short", vault_name="v", machine="m", now=NOW)
    assert "short" not in str(info.value).replace(str(tmp_path), "")
    assert list(tmp_path.iterdir()) == []


def test_a_file_is_not_a_save_folder(tmp_path: Path) -> None:
    plain = tmp_path / "file.txt"
    plain.write_text("x")
    with pytest.raises(InputError):
        write_passphrase_file(plain, GOOD, vault_name="v", machine="m", now=NOW)


# ------------------------------------------------------------------------------------------ save location


def test_save_location_rules(tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    ok = check_save_location(usb, same_machine_as_target=False, extraction_dir=None, install_dirs=[])
    assert levels(ok) == {"passphrase.location-ok": "pass"}
    assert ok[0].field == "encryption.save_location"

    missing = check_save_location(tmp_path / "nope", same_machine_as_target=False, extraction_dir=None, install_dirs=[])
    assert levels(missing) == {"passphrase.location-missing": "error"}

    afile = tmp_path / "f"
    afile.write_text("")
    assert levels(check_save_location(afile, same_machine_as_target=False, extraction_dir=None, install_dirs=[])) == {
        "passphrase.location-not-dir": "error"
    }

    same = check_save_location(usb, same_machine_as_target=True, extraction_dir=None, install_dirs=[])
    assert levels(same) == {"passphrase.location-same-machine": "warning"}

    extraction = tmp_path / "media"
    inner = extraction / "keys"
    inner.mkdir(parents=True)
    assert levels(check_save_location(inner, same_machine_as_target=False, extraction_dir=extraction, install_dirs=[])) == {
        "passphrase.location-in-extraction": "warning"
    }
    # A symlink into the extraction folder is still inside it.
    link = tmp_path / "innocent"
    link.symlink_to(inner)
    assert "passphrase.location-in-extraction" in levels(
        check_save_location(link, same_machine_as_target=False, extraction_dir=extraction, install_dirs=[])
    )
    assert levels(check_save_location(inner, same_machine_as_target=False, extraction_dir=None, install_dirs=[str(extraction)])) == {
        "passphrase.location-in-install": "warning"
    }


def test_inside_understands_windows_paths() -> None:
    assert _inside(r"C:\Program Files\Microsoft Azure Backup Server\keys", r"c:\program files\Microsoft Azure Backup Server")
    assert not _inside(r"C:\Program Files (x86)\x", r"C:\Program Files")
    assert not _inside(r"D:\Program Files\x", r"C:\Program Files")
    assert not _inside("/home/op/keys", r"C:\Program Files")


# ------------------------------------------------------------------------------------------ CLI


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mabs_wizard", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_cli_generate_prints_one_valid_passphrase() -> None:
    first, second = run_cli("passphrase", "generate"), run_cli("passphrase", "generate")
    assert first.returncode == 0 and second.returncode == 0
    value = first.stdout.strip()
    assert first.stdout == value + "\n"
    assert not [f for f in check_passphrase(value, None) if f.level == "error"]
    assert value != second.stdout.strip()


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A manifest as the product writes it (a replay of the demo kit) and the passphrase it was made with."""
    import io

    from mabs_wizard.demo import make_demo_kit
    from mabs_wizard.replay import replay_file
    from mabs_wizard.secret_store import open_store

    folder = tmp_path_factory.mktemp("replayed")
    answers = make_demo_kit(folder / "kit", media_bytes=2**20)
    answers.write_text(answers.read_text().replace("  check: true", "  check: false"))  # no network probe here
    store = open_store("file", file_path=folder / "secrets.enc", password="a-test-store-password")
    path = replay_file(answers, folder / "out", out=io.StringIO(), store=store)
    passphrase = (folder / "kit" / "secrets" / "encryption-passphrase.txt").read_text().split("\n")[0]
    return path, passphrase


def test_cli_verify_from_stdin(replayed: tuple[Path, str]) -> None:
    manifest, good = replayed
    ok = run_cli("passphrase", "verify", str(manifest), stdin=good + "\n")
    assert ok.returncode == 0, ok.stderr
    assert "matches" in ok.stdout
    bad = run_cli("passphrase", "verify", str(manifest), stdin=good[:-1] + "X\n")
    assert bad.returncode == 1
    assert "does not match" in bad.stderr
    for result in (ok, bad):
        assert good not in result.stdout + result.stderr
        assert good[:-1] not in result.stdout + result.stderr


def test_cli_verify_from_a_terminal_does_not_echo(replayed: tuple[Path, str]) -> None:
    import pexpect

    manifest, good = replayed
    child = pexpect.spawn(sys.executable, ["-m", "mabs_wizard", "passphrase", "verify", str(manifest)], timeout=30,
                          env={**os.environ, "TERM": "dumb"})
    child.expect("Passphrase: ")
    child.sendline(good)
    child.expect(pexpect.EOF)
    child.close()
    output = child.before.decode()
    assert child.exitstatus == 0, output
    assert "matches" in output
    assert good not in output  # getpass: no echo


def _changed(manifest: Path, change) -> bytes:  # noqa: ANN001 - a function editing the JSON document
    document = json.loads(manifest.read_text())
    change(document)
    return json.dumps(document).encode()


BAD_MANIFESTS = [
    (lambda m: b"{not json", "not valid JSON"),
    (lambda m: b"\xff\xfe", "not UTF-8"),
    (lambda m: b"[]", "not an install manifest"),
    (lambda m: _changed(m, lambda d: d["encryption"]["result"].pop("verifier")), "encryption.result.verifier: missing"),
    (lambda m: _changed(m, lambda d: d["encryption"]["result"]["verifier"].update(n=2**30)), "encryption.result.verifier.n"),
    (lambda m: _changed(m, lambda d: d["encryption"]["result"]["verifier"].update(salt="***")), "encryption.result.verifier.salt"),
]


@pytest.mark.parametrize(("make", "fragment"), BAD_MANIFESTS)
def test_cli_verify_invalid_manifest_exits_2(replayed: tuple[Path, str], tmp_path: Path, make, fragment: str) -> None:  # noqa: ANN001
    manifest, good = replayed
    path = tmp_path / "m.json"
    path.write_bytes(make(manifest))
    result = run_cli("passphrase", "verify", str(path), stdin=good + "\n")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert str(path) in lines[0] and any(fragment in line for line in lines), lines
    assert "Traceback" not in result.stderr


def test_cli_verify_missing_manifest_exits_2(tmp_path: Path) -> None:
    result = run_cli("passphrase", "verify", str(tmp_path / "none.json"), stdin="x\n")
    assert result.returncode == 2 and "file not found" in result.stderr


def test_a_short_passphrase_and_a_differing_confirmation_are_reported_together_each_on_its_field() -> None:
    # One Next shows both (issue 12 item 3): the mismatch sits on the confirmation's own field, so a
    # form showing one finding per field never hides it behind the length rule.
    findings = {f.code: f.field for f in check_passphrase("too-short", "different") if f.level == "error"}
    assert findings == {"passphrase.too-short": "encryption.passphrase",
                        "passphrase.confirm-mismatch": "encryption.confirm_passphrase"}
