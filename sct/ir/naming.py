"""Unique, readable names for SSA values within one generated function."""
import builtins
import keyword
import re

_RESERVED = set(dir(builtins)) | set(keyword.kwlist)


class Namer:
    """Hands out names: the hint itself when free, else `hint_1`, `hint_2`, ...

    Python builtins and keywords are never handed out, so generated code can call
    `float`, `len` ... and readers are not misled by a local called `sum`.
    """

    def __init__(self, taken=()):
        self.taken = set(taken)

    def reserve(self, name):
        self.taken.add(name)

    def fresh(self, hint):
        hint = _sanitize(hint)
        if hint not in self.taken and hint not in _RESERVED:
            self.taken.add(hint)
            return hint
        base = re.sub(r"_\d+$", "", hint)
        i = 1
        while f"{base}_{i}" in self.taken or f"{base}_{i}" in _RESERVED:
            i += 1
        name = f"{base}_{i}"
        self.taken.add(name)
        return name


def _sanitize(hint):
    hint = "".join(c if c.isalnum() or c == "_" else "_" for c in hint) or "t"
    return hint if not hint[0].isdigit() else "t" + hint
