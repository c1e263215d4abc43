"""What every secret store offers: put/get/delete by (service, username), and a description."""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

StoreKind = Literal["auto", "keyring", "file"]
PASSWORD_ENV = "MABS_WIZARD_STORE_PASSWORD"  # the encrypted file store's password, for headless runs


@runtime_checkable
class SecretStore(Protocol):
    kind: str  # "keyring" | "file"

    def describe(self) -> str:
        """Which backend or file is used, for the operator and the manifest (never a secret)."""
        ...

    def reference(self, service: str, username: str) -> dict[str, str]:
        """What the manifest records to find the secret again (never the secret)."""
        ...

    def put(self, service: str, username: str, secret: str) -> None: ...

    def get(self, service: str, username: str) -> str:
        """The secret; SecretStoreError if there is none."""
        ...

    def delete(self, service: str, username: str) -> None:
        """Remove the secret; SecretStoreError if there is none."""
        ...
