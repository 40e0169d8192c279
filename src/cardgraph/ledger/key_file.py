"""The signing key: configured, or created once in a file beside the local data."""

from __future__ import annotations

import os
from pathlib import Path

from cardgraph.ledger.signing import KeyFormatError, PublicKey, SigningKey
from cardgraph.settings import Settings


def load_signing_key(settings: Settings) -> SigningKey:
    """`settings.signing_key`, else the key in `settings.signing_key_path` (created if absent:
    the first process to start writes it, every later one reads the same file)."""
    if settings.signing_key is not None:
        try:
            return SigningKey.from_text(settings.signing_key.get_secret_value())
        except KeyFormatError as error:
            raise KeyFormatError(f"CARDGRAPH_SIGNING_KEY: {error}") from None
    try:
        return _file_key(settings.signing_key_path)
    except KeyFormatError as error:
        raise KeyFormatError(f"{settings.signing_key_path}: {error}") from None


def load_retired_keys(settings: Settings) -> tuple[PublicKey, ...]:
    """The public keys of `settings.signing_keys_retired`."""
    try:
        return tuple(PublicKey.from_text(text) for text in settings.signing_keys_retired)
    except KeyFormatError as error:
        raise KeyFormatError(f"CARDGRAPH_SIGNING_KEYS_RETIRED: {error}") from None


def _file_key(path: Path) -> SigningKey:
    try:
        return SigningKey.from_text(path.read_text())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate()
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key.seed_base64() + "\n")
    try:
        # A hard link never replaces: of two processes starting at once, one key wins and
        # the other process reads it (whole, since it was written before it was linked).
        os.link(staging, path)
    except FileExistsError:
        return SigningKey.from_text(path.read_text())
    finally:
        staging.unlink()
    return key
