"""Issuer keys: the key history and its acceptance rule, the key stores, and the key passphrase.

A key verifies a token only if the token was signed inside the key's validity window, so a retired key
keeps verifying what it signed and a compromised key fails everything signed after its compromise.
"""

from keys.foreign import foreign_key_history
from keys.history import KeyEntry, KeyHistory, KeyHistoryResolver, KeyState
from keys.passphrase import load_passphrase
from keys.store import EncryptedFileKeyStore, InMemoryKeyStore, KeyStore

__all__ = [
    "EncryptedFileKeyStore",
    "InMemoryKeyStore",
    "KeyEntry",
    "KeyHistory",
    "KeyHistoryResolver",
    "KeyState",
    "KeyStore",
    "foreign_key_history",
    "load_passphrase",
]
