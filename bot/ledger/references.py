"""Reference numbers customers can quote back: short, unambiguous, not guessable."""

import secrets

# No 0/O or 1/I, so a reference read out over the phone is not misheard.
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference(prefix: str) -> str:
    return f"{prefix}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))
