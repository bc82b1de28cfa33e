"""What an API key looks like: making a new one, hashing its secret and reading one a client sent.

A key is `kam_<prefix>_<secret>`: `kam_` says what it is (a secret scanner can look for it),
the prefix (8 lowercase letters and digits) is the key's public id, and the secret is 43
letters and digits drawn by `secrets`, about 256 bits. Only `secret_hash(secret)` is stored
(see `users.models.ApiKey` for why a plain SHA-256 is the right hash here).
"""

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass

PREFIX_ALPHABET = string.ascii_lowercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits
PREFIX_LENGTH = 8
SECRET_LENGTH = 43  # 43 × log2(62) ≈ 256 bits
KEY_PATTERN = re.compile(rf"kam_([a-z0-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9]{{{SECRET_LENGTH}}})")


@dataclass(frozen=True)
class KeyParts:
    prefix: str
    secret: str

    @property
    def key(self) -> str:
        return f"kam_{self.prefix}_{self.secret}"


def new_key_parts() -> KeyParts:
    return KeyParts(
        prefix="".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH)),
        secret="".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH)),
    )


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """In constant time: how much of the hash matched never shows in how long it took."""
    return hmac.compare_digest(secret_hash(secret), stored_hash)


def parse(key: str) -> KeyParts | None:
    """The prefix and secret of a key as a client sent it; None when it is not one."""
    match = KEY_PATTERN.fullmatch(key)
    return KeyParts(prefix=match[1], secret=match[2]) if match else None
