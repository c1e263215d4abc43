"""``site.yml`` and the fleet-wide variables of the exported Ansible project.

Modules of the ``ansible.windows`` collection (bundled by the ``ansible`` package) do every step one
exists for; PowerShell runs only for what has no module: the MARS agent's configuration and
registration cmdlets (Set-OBMachineSetting, Start-OBRegistration, S6, S9), through the wizard's own
ps1 export. Every step checks before it acts, so the play can run again after a failure:

* folders, permissions, copies: ``win_file``, ``win_acl``, ``win_copy`` compare before changing;
* Hyper-V (MABS V4 pre-step, S2): ``win_optional_feature`` enables only what is not enabled (it runs
  ``Enable-WindowsOptionalFeature -All -NoRestart``, the documented ``dism /All`` command) and says
  when a restart is needed, which ``win_reboot`` does and waits for;
* the MARS agent: ``win_package`` with ``creates_service: obengine`` (the agent's service, ``net stop
  obengine`` in S18);
* MABS setup: ``win_stat`` of ``...\\DPM\\DPM\\bin`` (the installed product's folder, S13/S14) first;
  the ini (it holds secrets) is written just before setup and removed right after, whatever happens;
  ``win_package`` runs ``Setup.exe /i /f <ini> /l <log>`` (S2) with ``creates_path`` and
  ``expected_return_code: [0, 3010]``, and a 3010 restart is done with ``win_reboot``;
* the agent's configuration: the ps1 with ``-SkipSetup`` (``-RegisterWithCmdlets`` on request),
  secrets in its environment, skipped once its marker file exists.

Every task that handles a secret or the vault credentials file has ``no_log: true``.
"""

from __future__ import annotations

from mabs_wizard.export.plan import INI_NAME, MABS_DEFAULT_PROGRAM_FILES, MARS_INSTALL_FOLDER, SETUP_LOG_NAME

GROUP = "mabs_wizard_fleet"  # the project's inventory.yml puts the prepared hosts in it
PS1_NAME = "Install-MABS.ps1"
MARKER = "mars-configured.txt"
# Well-known SIDs (not names: "Administrators" is translated on localized Windows):
# S-1-5-32-544 BUILTIN\Administrators, S-1-5-18 LOCAL SYSTEM ("Well-known SIDs", Microsoft Learn).
ADMIN_SIDS = ("S-1-5-32-544", "S-1-5-18")
INSTALLED_MARKER = MABS_DEFAULT_PROGRAM_FILES + r"\DPM\DPM\bin"  # S13, S14; the ini has no key to move it (S2)
WORK_FOLDER = r"C:\MABSSetup\mabs-wizard"
SETUP_LOG = WORK_FOLDER + "\\" + SETUP_LOG_NAME


def _yaml_single(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def group_vars(media_source: str) -> str:
    """Fleet-wide settings; the operator may change them here or with -e."""
    return f"""---
# Fleet-wide settings of the mabs-wizard project. Change them here or with -e NAME=VALUE.

# The extracted MABS media on this controller (fleet replay extracted it once for every host); it
# is copied to each host. With mabs_media_remote_src: true it is a folder (e.g. a share) the hosts
# read themselves, which is much faster than copying gigabytes over WinRM.
mabs_media_source: !unsafe {_yaml_single(media_source)}
mabs_media_remote_src: false

# Folders on each host.
mabs_setup_folder: !unsafe 'C:\\MABSSetup\\Media'
mabs_work_folder: !unsafe {_yaml_single(WORK_FOLDER)}
mabs_mars_folder: !unsafe {_yaml_single(MARS_INSTALL_FOLDER)}
mabs_installed_path: !unsafe {_yaml_single(INSTALLED_MARKER)}
mabs_setup_log: !unsafe {_yaml_single(SETUP_LOG)}

# Also register the server with the MARS cmdlets (Start-OBRegistration) after setup, for when
# setup's own registration did not happen.
mabs_register_with_cmdlets: false

# Seconds to wait for a host to come back after a restart.
mabs_reboot_timeout: 3600
"""


def site_yml(*, serial: str, retries: int) -> str:
    serial_value = serial if serial.isdigit() else _yaml_single(serial)
    folders = "\n".join(f"          - {sid}" for sid in ADMIN_SIDS)
    return f"""---
# Written by mabs-wizard fleet export. Installs Microsoft Azure Backup Server on the hosts a fleet
# replay prepared; README.md has the command. Safe to run again: every step checks before it acts.
- name: Install Microsoft Azure Backup Server on the fleet prepared by mabs-wizard
  hosts: {GROUP}
  gather_facts: false
  serial: "{{{{ mabs_serial }}}}"
  vars:
    mabs_serial: {serial_value}
    mabs_retries: {retries}
    mabs_retry_delay: 30
  tasks:
    - name: Check that mabs-wizard prepared this host
      ansible.builtin.assert:
        that:
          - mabs_computer_name is defined
          - mabs_ini_variant is defined
        fail_msg: No mabs-wizard host_vars for this host; run mabs-wizard fleet replay and fleet export for it first.
        quiet: true

    - name: Create the folders setup reads and writes
      ansible.windows.win_file:
        path: "{{{{ item }}}}"
        state: directory
      loop: "{{{{ [mabs_setup_folder, mabs_work_folder, mabs_vault_credentials_folder, mabs_passphrase_folder] }}}}"

    - name: Give administrators and SYSTEM full control of the folders that hold secrets
      ansible.windows.win_acl:
        path: "{{{{ item[0] }}}}"
        user: "{{{{ item[1] }}}}"
        rights: FullControl
        type: allow
        state: present
      loop: "{{{{ [mabs_work_folder, mabs_vault_credentials_folder, mabs_passphrase_folder] | product(mabs_admin_sids) | list }}}}"
      vars:
        mabs_admin_sids:
{folders}

    - name: Keep everyone else out of the folders that hold secrets
      ansible.windows.win_acl_inheritance:
        path: "{{{{ item }}}}"
        state: absent
        reorganize: false
      loop: "{{{{ [mabs_work_folder, mabs_vault_credentials_folder, mabs_passphrase_folder] }}}}"

    - name: Create the MARS agent folder (MABS V4 pre-step)
      ansible.windows.win_file:
        path: "{{{{ mabs_mars_folder }}}}"
        state: directory
      when: mabs_version == 'v4'

    - name: Enable Hyper-V and its PowerShell module (MABS V4 pre-step)
      ansible.windows.win_optional_feature:
        name:
          - Microsoft-Hyper-V
          - Microsoft-Hyper-V-Management-PowerShell
        include_parent: true
        state: present
      register: mabs_hyperv
      when: mabs_version == 'v4'

    - name: Restart after enabling Hyper-V
      ansible.windows.win_reboot:
        reboot_timeout: "{{{{ mabs_reboot_timeout }}}}"
      when: mabs_hyperv.reboot_required | default(false)

    - name: Copy the extracted MABS media
      ansible.windows.win_copy:
        src: "{{{{ mabs_media_source }}}}"
        dest: "{{{{ mabs_setup_folder }}}}\\\\"
        remote_src: "{{{{ mabs_media_remote_src }}}}"
      register: mabs_media_copy
      until: mabs_media_copy is succeeded
      retries: "{{{{ mabs_retries }}}}"
      delay: "{{{{ mabs_retry_delay }}}}"

    - name: Copy the vault credentials file (ansible-vault decrypts it on the way; it holds a private key)
      ansible.windows.win_copy:
        src: "{{{{ mabs_vault_credentials_file }}}}"
        dest: "{{{{ mabs_vault_credentials_dest }}}}"
        decrypt: true
      register: mabs_vault_copy
      until: mabs_vault_copy is succeeded
      retries: "{{{{ mabs_retries }}}}"
      delay: "{{{{ mabs_retry_delay }}}}"
      no_log: true

    - name: Copy the wizard's PowerShell script for this host
      ansible.windows.win_copy:
        src: "{{{{ inventory_hostname }}}}/{PS1_NAME}"
        dest: "{{{{ mabs_setup_folder }}}}\\\\{PS1_NAME}"
      register: mabs_ps1_copy
      until: mabs_ps1_copy is succeeded
      retries: "{{{{ mabs_retries }}}}"
      delay: "{{{{ mabs_retry_delay }}}}"

    - name: Install the MARS agent with the proxy before setup
      ansible.windows.win_package:
        path: "{{{{ mabs_setup_folder }}}}\\\\MARSAgent\\\\MARSAgentInstaller.exe"
        arguments: "{{{{ mabs_mars_arguments }}}}"
        creates_service: obengine
        expected_return_code: [0, 3010]
      when: mabs_use_proxy | bool

    - name: Look for an installed MABS
      ansible.windows.win_stat:
        path: "{{{{ mabs_installed_path }}}}"
        get_checksum: false
      register: mabs_installed

    - name: Run MABS setup unattended
      when: not mabs_installed.stat.exists
      block:
        - name: Write the setup ini (it holds secrets; removed right after setup)
          ansible.windows.win_template:
            src: {INI_NAME}.j2
            dest: "{{{{ mabs_work_folder }}}}\\\\{INI_NAME}"
            newline_sequence: '\\r\\n'
            trim_blocks: false
            lstrip_blocks: false
          no_log: true

        - name: Run Setup.exe with the ini
          ansible.windows.win_package:
            path: "{{{{ mabs_setup_folder }}}}\\\\Setup.exe"
            arguments: /i /f "{{{{ mabs_work_folder }}}}\\{INI_NAME}" /l "{{{{ mabs_setup_log }}}}"
            creates_path: "{{{{ mabs_installed_path }}}}"
            expected_return_code: [0, 3010]
          register: mabs_setup
          no_log: true  # setup reads the secrets; on failure read mabs_setup_log on the host

      always:
        - name: Remove the setup ini
          ansible.windows.win_file:
            path: "{{{{ mabs_work_folder }}}}\\\\{INI_NAME}"
            state: absent
          no_log: true

    - name: Restart when setup asks for it
      ansible.windows.win_reboot:
        reboot_timeout: "{{{{ mabs_reboot_timeout }}}}"
      when: mabs_setup.reboot_required | default(false)

    - name: Configure the MARS agent with the wizard's script (proxy; registration on request)
      ansible.windows.win_powershell:
        path: "{{{{ mabs_setup_folder }}}}\\\\{PS1_NAME}"
        remote_src: true
        parameters:
          SkipSetup: true
          RegisterWithCmdlets: "{{{{ mabs_register_with_cmdlets | bool }}}}"
        creates: "{{{{ mabs_work_folder }}}}\\\\{MARKER}"
        error_action: stop
      environment: "{{{{ mabs_ps1_environment }}}}"
      no_log: true

    - name: Record that the MARS agent is configured (delete the file to configure it again)
      ansible.windows.win_copy:
        content: "Configured by mabs-wizard's {PS1_NAME}; delete this file to run that step again.\\r\\n"
        dest: "{{{{ mabs_work_folder }}}}\\\\{MARKER}"
"""
