"""Entry digests (docs/FORMAT.md "Integrity" is the contract).

Without an integrity key an entry's digest is SHA-256 of its pickle: it detects corruption,
not tampering. With a key K it is an HMAC-SHA256 of u32_be(len(name)) || name || pickle,
which binds the pickle to its key name, so neither a changed pickle nor an entry moved to
another name verifies. From file format 2 on, the HMAC's key is not K itself but a key
derived from K and the file's id (meta row file_id, a store's file_id):
K_file = HMAC-SHA256(K, b"picklejar file key" || file_id), so an entry of another file (or
of a format-1 file) signed with the same K does not verify either. Digests are compared in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import Optional, Union

DIGEST_SIZE = 32
# Part of the on-disk format (meta row integrity_scheme); never rename.
SHA256 = "sha256"
HMAC_SHA256 = "hmac-sha256"
SCHEMES = (SHA256, HMAC_SHA256)
# Part of the on-disk format (format 2's per-file key); never change.
FILE_KEY_LABEL = b"picklejar file key"
FILE_ID_SIZE = 16


def key_id(key: bytes) -> str:
    """The key's non-secret fingerprint stored in the file (meta row key_id): the first 8
    bytes of HMAC-SHA256(key, b"picklejar key id") as 16 lowercase hex digits. Always of the
    application's key K, never of a file's derived key."""
    return hmac.new(key, b"picklejar key id", hashlib.sha256).digest()[:8].hex()


def file_key(key: bytes, file_id: bytes) -> bytes:
    """Format 2's per-file key: HMAC-SHA256(key, b"picklejar file key" || file_id), with
    ``file_id`` the file's 16 raw bytes."""
    return hmac.new(key, FILE_KEY_LABEL + file_id, hashlib.sha256).digest()


def as_key_bytes(key: Union[bytes, bytearray, memoryview, str]) -> bytes:
    """An integrity key as bytes; a str key means its UTF-8 bytes (as C++'s std::string)."""
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    raise TypeError(f"integrity_key must be bytes or str, not {type(key).__name__}")


class Signer:
    """Computes and checks entry digests for one scheme (and key), under the rule of one
    file: ``file_id`` None is format 1's (HMAC under K itself), 16 bytes format 2's (HMAC
    under the key derived from K and that id). It keeps K, so that for_file() can sign for
    another file (an upgrade, a restore from a backup of another file)."""

    __slots__ = ("_key", "_mac", "key_id", "file_id")

    def __init__(self, key: Optional[bytes], file_id: Optional[bytes] = None) -> None:
        if file_id is not None and len(file_id) != FILE_ID_SIZE:
            raise ValueError(f"a file id is {FILE_ID_SIZE} bytes, not {len(file_id)}")
        self._key = key
        self.file_id = file_id
        mac_key = key if key is None or file_id is None else file_key(key, file_id)
        self._mac = None if mac_key is None else hmac.new(mac_key, digestmod=hashlib.sha256)
        self.key_id: Optional[str] = None if key is None else key_id(key)

    def __repr__(self) -> str:  # never shows the key
        rule = "" if self.file_id is None else f" file {self.file_id.hex()}"
        return f"<Signer {self.scheme}{'' if self.key_id is None else ' ' + self.key_id}{rule}>"

    def for_file(self, file_id: Optional[bytes]) -> "Signer":
        """The signer of the same key under the rule of the file ``file_id`` (None: format
        1's rule, no file id)."""
        if file_id == self.file_id:
            return self
        return Signer(self._key, file_id)

    @property
    def scheme(self) -> str:
        return SHA256 if self._mac is None else HMAC_SHA256

    def digest(self, name: str, pickle: bytes) -> bytes:
        if self._mac is None:
            return hashlib.sha256(pickle).digest()
        encoded = name.encode("utf-8")
        mac = self._mac.copy()
        mac.update(struct.pack(">I", len(encoded)))
        mac.update(encoded)
        mac.update(pickle)
        return mac.digest()

    def verify(self, name: str, pickle: bytes, stored: bytes) -> bool:
        """Whether ``stored`` (as read from the file, any length) is this entry's digest."""
        if len(stored) != DIGEST_SIZE:
            return False
        if self._mac is None:
            return hmac.compare_digest(hashlib.sha256(pickle).digest(), stored)
        return hmac.compare_digest(self.digest(name, pickle), stored)
