"""One engine: the TUI driven end to end with the demo kit's answers writes the same manifest as a
headless replay of those answers (real extraction, real gnome-keyring Secret Service, real files).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mabs_wizard.answers.loader import load_answers
from mabs_wizard.demo import make_demo_kit
from mabs_wizard.manifest import MANIFEST_NAME
from mabs_wizard.passphrase import PassphraseVerifier, verify_passphrase
from mabs_wizard.replay import replay_file
from mabs_wizard.screens.app import create_app, fixed_clock
from mabs_wizard.screens.navigation import ORDER
from mabs_wizard.secret_store import fingerprint_matches
from tests.kits import offline_demo_kit
from tests.tui_support import next_screen, settle

# What differs between two honest runs of the same answers: when things happened and how long they
# took. Fingerprints and the passphrase verifier are salted at random by design: they are compared
# by checking each one against the real secret instead.
VOLATILE = {"started_at", "finished_at", "checked_at", "duration_s", "duration_ms", "elapsed_ms"}


def normalise(node: Any, secrets: dict[str, str], where: str = "") -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            path = f"{where}.{key}" if where else key
            if key in VOLATILE:
                continue
            if key == "fingerprint":
                secret = secrets[path.split(".settings.")[0] + "." + path.split(".")[-2]]
                assert fingerprint_matches(value, secret), f"{path} is not the fingerprint of the secret used"
                value = "<fingerprint of the same secret>"
            elif key == "verifier":
                assert verify_passphrase(PassphraseVerifier.model_validate(value), secrets["encryption.passphrase"])
                value = "<verifier of the same passphrase>"
            out[key] = normalise(value, secrets, path)
        return out
    if isinstance(node, list):
        return [normalise(v, secrets, f"{where}[]") for v in node]
    return node


# The vault check says when it judged ("..., now 2026-01-15 10:00:00 UTC"): two runs a few seconds
# apart differ there and nowhere else in their words, so that moment is left out of comparisons.
JUDGED_AT = re.compile(r"now \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


def times_aside(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: times_aside(value) for key, value in node.items()}
    if isinstance(node, list):
        return [times_aside(value) for value in node]
    return JUDGED_AT.sub("now <time>", node) if isinstance(node, str) else node


def kit_secrets(kit: Path) -> dict[str, str]:
    read = lambda name: (kit / "secrets" / name).read_text().split("\n")[0]  # noqa: E731
    return {"security.password": read("dpm-accounts-password.txt"), "encryption.passphrase": read("encryption-passphrase.txt"),
            "sql.admin_password": read("sql-admin-password.txt")}


def files_holding(root: Path, needles: list[str], skip: tuple[Path, ...] = ()) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and not any(path.is_relative_to(s) for s in skip):
            data = path.read_bytes()
            hits += [str(path) for n in needles if n.encode() in data]
    return hits


async def test_tui_and_replay_write_the_same_manifest(secret_service, tmp_path):
    # Both runs judge at the same moment (the vault check says "now ..." in its message).
    now = datetime.now(UTC)
    answers = offline_demo_kit(tmp_path / "kit", media_bytes=2 * 2**20, now=now)
    kit = answers.parent
    out = tmp_path / "out"
    secrets = kit_secrets(kit)

    app = create_app(answers, output_dir=out, cursor_blink=False, clock=fixed_clock(now))
    visited: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        while app.current != "completion":
            visited.append(app.current)
            before = app.current
            assert await next_screen(pilot) != before, f"Next did not leave {before}"
        visited.append(app.current)
        assert "All parts are ready" in str(app.page.query_one("#completion-title").render())
        await pilot.press("ctrl+n")  # Finish
        await pilot.pause()
    assert app.return_value == 0
    assert visited == ORDER  # every screen of the seed, in its order

    tui_manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert tui_manifest["status"] == "ready-for-target"
    assert tui_manifest["secret_store"]["kind"] == "keyring"  # the real Secret Service
    assert (out / MANIFEST_NAME).stat().st_mode & 0o777 == 0o600
    saved = out / "answers.yaml"
    assert saved.stat().st_mode & 0o777 == 0o600
    # The saved answers replay to the same decisions as the kit's (secrets as the same references).
    assert load_answers(saved) == load_answers(answers)
    # No secret value anywhere the wizard wrote, but the passphrase file the operator asked for.
    assert files_holding(out, list(secrets.values())) == []
    assert files_holding(kit / "passphrase-safe", [secrets["encryption.passphrase"]]) != []

    # The same answers, headless, into the same place (what the TUI made is moved out of the way).
    shutil.rmtree(kit / "extracted")
    for path in (kit / "passphrase-safe").iterdir():
        path.unlink()
    shutil.rmtree(out)
    replay_file(answers, out, out=io.StringIO(), now=now)
    replay_manifest = json.loads((out / MANIFEST_NAME).read_text())

    assert normalise(tui_manifest, secrets) == normalise(replay_manifest, secrets)


async def test_a_proxy_typed_in_the_tui_and_replayed_gives_the_same_manifest_and_mars_command(secret_service, tmp_path):
    """Host, port, user and password typed into the proxy page go through a real proxy (tinyproxy with
    Basic authentication) and into the manifest exactly as a replay of the same answers does."""
    from mabs_wizard.export import render
    from tests.net_fixtures import https_server, make_pki, tinyproxy

    now = datetime.now(UTC)
    pki = make_pki(tmp_path / "pki")
    with https_server(pki.good) as endpoint, tinyproxy(tmp_path / "tinyproxy") as proxy:
        answers = make_demo_kit(tmp_path / "kit", media_bytes=2 * 2**20, now=now)  # its endpoint set below
        kit = answers.parent
        text = answers.read_text()
        # What the page does not edit comes from the answers file: the endpoint to probe and its CA.
        shown = text.replace("  check: true\n", f"  check: true\n  endpoints: [{endpoint.url}]\n  ca_file: {pki.ca_file}\n")
        answers.write_text(shown)
        out = tmp_path / "out"
        secrets = {**kit_secrets(kit), "proxy.password": proxy.password}

        app = create_app(answers, output_dir=out, cursor_blink=False, clock=fixed_clock(now))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            while app.current != "proxy":
                await next_screen(pilot)
            page = app.page
            page.query_one("#use_proxy").value = True
            await pilot.pause()
            for selector, value in (("#host", proxy.host), ("#port", str(proxy.port)), ("#username", proxy.user),
                                    ("#password", proxy.password)):
                page.query_one(selector).value = value
            await pilot.pause()
            before = proxy.connects()
            while app.current != "completion":
                await next_screen(pilot)
            await settle(pilot)
            assert "All parts are ready" in str(app.page.query_one("#completion-title").render())
        assert proxy.connects() > before  # the probe went through the port that was typed
        tui_manifest = json.loads((out / MANIFEST_NAME).read_text())
        assert tui_manifest["proxy"]["result"]["connectivity"]["state"] == "connected"
        tui_mars = render(tui_manifest, "mars-cmd")

        # The same settings written into the answers file, the password from the environment.
        answers.write_text(shown.replace("  use_proxy: false", f"  use_proxy: true\n  host: {proxy.host}\n  port: {proxy.port}\n"
                                         f"  username: {proxy.user}\n  password: {{env: MW_PROXY_PASSWORD}}"))
        shutil.rmtree(kit / "extracted")
        for path in (kit / "passphrase-safe").iterdir():
            path.unlink()
        shutil.rmtree(out)
        os.environ["MW_PROXY_PASSWORD"] = proxy.password
        try:
            replay_file(answers, out, out=io.StringIO(), now=now)
        finally:
            del os.environ["MW_PROXY_PASSWORD"]
        replay_manifest = json.loads((out / MANIFEST_NAME).read_text())

    # Where each door got the password from differs by design (typed vs. the environment).
    assert tui_manifest["proxy"]["settings"]["password"]["source"] == "prompt"
    assert replay_manifest["proxy"]["settings"]["password"]["source"] == "env:MW_PROXY_PASSWORD"
    for manifest in (tui_manifest, replay_manifest):
        manifest["proxy"]["settings"]["password"]["source"] = "<typed or from the environment>"
    assert normalise(tui_manifest, secrets) == normalise(replay_manifest, secrets)
    assert f"/ph {proxy.host} /po {proxy.port} /pu {proxy.user}" in tui_mars
    when = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")  # the manifest's time, named in the file's header
    assert when.sub("<time>", tui_mars) == when.sub("<time>", render(replay_manifest, "mars-cmd"))
