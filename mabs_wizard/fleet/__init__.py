"""Many MABS servers from one template: an Ansible inventory names the hosts, the answers file is shared.

    inventory.py   the hosts, read by running ``ansible-inventory -i INV --list`` (ansible-core is
                   GPL-3.0: its commands are run, never imported)
    positions.py   where in a YAML inventory (or host_vars file) a host's override was written
    merge.py       a host's ``mabs_wizard`` variable merged over the template, and where each value came from
    check.py       every host judged by the rules ``mabs-wizard validate`` uses, every problem placed
    report.py      the fleet report (``DIR/fleet.json``, ``--json``), its schema and the per-host table
    replay.py      the fleet replayed: the media extracted once, each host's manifest under ``DIR/<host>/``
    ansible/       the Ansible project an operator runs on the Windows hosts (``fleet export``)

Why Ansible: the seed's answer to growth is "Scale out - Add more Azure Backup Servers"; operators
with many Windows hosts already run ``ansible.windows`` over WinRM/PSRP, and MABS's unattended
install is only files on the host plus ``Setup.exe /i /f <ini> /l <log>`` (S2), so no deployer of
our own is needed.
"""
