"""Entry digests (docs/FORMAT.md "Integrity" is the contract).

Without an integrity key an entry's digest is SHA-256 of its pickle: it detects corruption,
not tampering. With a key it is HMAC-SHA256(key, u32_be(len(name)) || name || pickle), which
binds the pickle to its key name, so neither a changed pickle nor an entry moved to another
name verifies. Digests are compared in constant time.
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


def key_id(key: bytes) -> str:
    """The key's non-secret fingerprint stored in the file (meta row key_id): the first 8
    bytes of HMAC-SHA256(key, b"picklejar key id") as 16 lowercase hex digits."""
    return hmac.new(key, b"picklejar key id", hashlib.sha256).digest()[:8].hex()


def as_key_bytes(key: Union[bytes, bytearray, memoryview, str]) -> bytes:
    """An integrity key as bytes; a str key means its UTF-8 bytes (as C++'s std::string)."""
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    raise TypeError(f"integrity_key must be bytes or str, not {type(key).__name__}")


class Signer:
    """Computes and checks entry digests for one scheme (and key)."""

    __slots__ = ("_mac", "key_id")

    def __init__(self, key: Optional[bytes]) -> None:
        self._mac = None if key is None else hmac.new(key, digestmod=hashlib.sha256)
        self.key_id: Optional[str] = None if key is None else key_id(key)

    def __repr__(self) -> str:  # never shows the key
        return f"<Signer {self.scheme}{'' if self.key_id is None else ' ' + self.key_id}>"

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
