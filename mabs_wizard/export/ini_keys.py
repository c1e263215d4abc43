"""The secrets MABS's unattended-setup ini carries, by key, and the answers field each comes from.

Every key of Microsoft's example ini (MicrosoftDocs/azure-docs articles/backup/backup-mabs-unattended-install.md).
A leaf module (no imports): the SQL step's rule names these keys when it asks for the password.
"""

INI_SECRETS: dict[str, str] = {
    "SQLMachinePassword": "sql.admin_password",
    "ReportingMachinePassword": "sql.admin_password",
    "SqlAccountPassword": "security.password",
    "SecurityPassphrase": "encryption.passphrase",
}
