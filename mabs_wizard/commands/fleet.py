"""`mabs-wizard fleet`: many MABS servers from one answers file and an Ansible inventory.

    fleet validate TEMPLATE --inventory INV [--group NAME] [--json]
    fleet replay   TEMPLATE --inventory INV [--group NAME] --output DIR
    fleet export   DIR --format ansible --output PROJECT [--vault-password-file F]

The inventory is read by Ansible itself (`ansible-inventory -i INV --list`); the `[fleet]` extra
installs it: pip install 'mabs-wizard[fleet]'.
"""

from __future__ import annotations

from pathlib import Path

import click

_INVENTORY_HELP = "Any inventory Ansible reads (INI, YAML, a folder, a dynamic source); read with ansible-inventory."
_GROUP_HELP = "Inventory group holding the MABS servers (default: mabs_servers, else every host)."


@click.group()
def fleet() -> None:
    """Plan, check and prepare many MABS servers from one answers file and an Ansible inventory.

    A host's `mabs_wizard` variable holds its overrides: a mapping with the answers file's sections,
    merged over TEMPLATE (facts file, SQL instance, proxy, vault file, secret references, ...).
    """


@fleet.command("validate")
@click.argument("template", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--inventory", "-i", "inventory", required=True, help=_INVENTORY_HELP)
@click.option("--group", "-g", default=None, help=_GROUP_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the fleet report as JSON (mabs-wizard schema fleet) instead of the table.")
def validate(template: Path, inventory: str, group: str | None, as_json: bool) -> None:
    """Judge every host by the rules of `validate`; report every problem of every host. Exit 2 if any has an error."""
    from mabs_wizard.errors import InputError
    from mabs_wizard.fleet.report import table
    from mabs_wizard.fleet.validate import validate_fleet

    report = validate_fleet(template, inventory, group)
    click.echo(report.model_dump_json(indent=2) if as_json else table(report))
    problems = [p for h in report.hosts for p in h.problems]
    if not as_json:
        for p in problems:
            if p.level == "warning":
                click.echo(f"warning: {p.text()}")
    bad = [h for h in report.hosts if h.errors]
    if bad:
        raise InputError(f"{len(bad)} of {len(report.hosts)} host(s) have errors",
                         [p.text() for p in problems if p.level == "error"])
    if not as_json:
        click.echo(f"{len(report.hosts)} host(s) of {report.group} in {inventory}: valid")


@fleet.command("replay")
@click.argument("template", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--inventory", "-i", "inventory", required=True, help=_INVENTORY_HELP)
@click.option("--group", "-g", default=None, help=_GROUP_HELP)
@click.option("--output", "-o", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder for DIR/fleet.json and each host's DIR/<host>/ (manifest, merged answers, setup log).")
def replay(template: Path, inventory: str, group: str | None, output: Path) -> None:
    """Run every step for every valid host; the media is extracted once for the fleet.

    Exit 0 when every host is ready for its target, 2 when a host's input is invalid, 1 when a host failed otherwise.
    """
    from mabs_wizard.fleet.replay import exit_code, replay_fleet
    from mabs_wizard.fleet.report import table

    report = replay_fleet(template, inventory, group, output)
    click.echo(table(report))
    click.echo(f"fleet report: {output / 'fleet.json'} ({report.status})")
    code = exit_code(report)
    if code:
        for h in report.hosts:
            for p in h.problems:
                if p.level == "error":
                    click.echo(p.text(), err=True)
        raise click.exceptions.Exit(code)


@fleet.command("export")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["ansible"]), required=True, help="What to write: an Ansible project.")
@click.option("--output", "-o", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder to create for the project (must not exist, or be empty).")
@click.option("--vault-password-file", type=click.Path(path_type=Path, dir_okay=False), envvar="ANSIBLE_VAULT_PASSWORD_FILE",
              help="ansible-vault password file: every secret and the vault credentials file are encrypted with it "
                   "(default: $ANSIBLE_VAULT_PASSWORD_FILE).")
@click.option("--serial", default="1", show_default=True, help="Hosts installed at a time (Ansible's serial: a number or a percentage).")
@click.option("--retries", type=click.IntRange(0, 100), default=3, show_default=True, help="Retries of the copy steps.")
@click.option("--store-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Encrypted secret store to read (default: the one each manifest names).")
def export(directory: Path, fmt: str, output: Path, vault_password_file: Path | None, serial: str, retries: int,
           store_file: Path | None) -> None:
    """Write an Ansible project that installs every ready host of a fleet replay (DIR) on Windows.

    Secrets and the vault credentials file are in it only as ansible-vault ciphertext.
    """
    from mabs_wizard.fleet.ansible.project import export_project

    result = export_project(directory, output, vault_password_file=vault_password_file, serial=serial, retries=retries,
                            store_file=store_file)
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(f"wrote {output} ({len(result.hosts)} host(s)); run it with:")
    click.echo(f"  {result.command}")
