"""The errors of the OpenPGP layer (keys, packets, messages): one base, one class per cause."""

from __future__ import annotations

from offchain.errors import ProdnetError


class CryptoError(ProdnetError):
    """An OpenPGP operation failed; the message says why and what to do."""


class KeyFormatError(CryptoError):
    """The key file is not a readable, intact OpenPGP key."""


class UnsupportedKeyError(CryptoError):
    """The key uses an algorithm or size prodnet does not accept."""


class KeyUsageError(CryptoError):
    """The key cannot do what is asked (no encryption subkey, public instead of secret...)."""


class PassphraseError(CryptoError):
    """The secret key is protected and the passphrase is missing or wrong."""


class KeyFileExistsError(CryptoError):
    """Refusing to overwrite an existing key file."""


class MessageFormatError(CryptoError):
    """The input is not an OpenPGP message prodnet can read."""


class NotForThisKeyError(CryptoError):
    """The ciphertext was encrypted to another key."""


class IntegrityError(CryptoError):
    """The ciphertext was modified, corrupted or truncated."""


class SignatureError(CryptoError):
    """The signature is missing, made by another key, or does not verify."""
