"""A keyed pseudo-random permutation of ``[0, size)``: how status-list indexes are allocated at random.

Each status-list shard has a secret key. The shard's ``n``-th allocation gets index ``P(n)``, where ``P``
is a four-round Feistel network keyed with the shard's key (BLAKE2b as the round function) over the
smallest even-bit domain covering ``size``, restricted to ``[0, size)`` by cycle walking. So:

* indexes look uniformly random to anyone without the key (a four-round Feistel network with a
  pseudo-random round function is a strong pseudo-random permutation, Luby–Rackoff), so a list's set
  bits reveal nothing about issuance order or which graduates were issued together;
* an index is never handed out twice: ``P`` is a bijection and the shard's counter only grows;
* allocation is O(1) with no retries, whether the shard is empty or almost full, and two processes
  allocating concurrently only serialise on the shard's counter row.
"""

from __future__ import annotations

import hashlib
from typing import Final

_ROUNDS: Final = 4


class IndexPermutation:
    """``P: [0, size) -> [0, size)``, a bijection determined by ``key``."""

    __slots__ = ("_half_bits", "_key", "_mask", "size")

    def __init__(self, *, key: bytes, size: int) -> None:
        if size < 2:
            raise ValueError(f"a permutation needs a domain of at least 2 elements, not {size}")
        if len(key) < 16:
            raise ValueError("the permutation key must have at least 128 bits")
        self.size = size
        self._key = key[:64]
        bits = max(2, (size - 1).bit_length())
        self._half_bits = (bits + 1) // 2
        self._mask = (1 << self._half_bits) - 1

    def _round(self, number: int, value: int) -> int:
        digest = hashlib.blake2b(value.to_bytes(8, "big") + bytes((number,)), key=self._key, digest_size=8).digest()
        return int.from_bytes(digest, "big") & self._mask

    def _feistel(self, value: int) -> int:
        left, right = value >> self._half_bits, value & self._mask
        for number in range(_ROUNDS):
            left, right = right, left ^ self._round(number, right)
        return (left << self._half_bits) | right

    def __call__(self, counter: int) -> int:
        """The index of the ``counter``-th allocation (``0 <= counter < size``)."""
        if not 0 <= counter < self.size:
            raise ValueError(f"counter {counter} is outside [0, {self.size})")
        value = self._feistel(counter)
        while value >= self.size:  # cycle walking: stays a bijection on [0, size)
            value = self._feistel(value)
        return value
