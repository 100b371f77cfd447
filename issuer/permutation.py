"""A keyed pseudo-random permutation of ``[0, size)``: how status-list indexes are allocated at random.

Each status-list shard has a secret key. The shard's ``n``-th allocation gets index ``P(n)``, where ``P``
is a four-round Feistel network keyed with the shard's key (AES-256 as the round function) over the
smallest power-of-two domain covering ``size`` (an unbalanced network when the bit count is odd),
restricted to ``[0, size)`` by cycle walking when ``size`` is not a power of two. So:

* indexes look uniformly random to anyone without the key (a four-round Feistel network with a
  pseudo-random round function is a strong pseudo-random permutation, Luby–Rackoff), so a list's set
  bits reveal nothing about issuance order or which graduates were issued together;
* an index is never handed out twice: ``P`` is a bijection and the shard's counter only grows;
* allocation is O(1) with no retries, whether the shard is empty or almost full, and two processes
  allocating concurrently only serialise on the shard's counter row.
"""

from __future__ import annotations

from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_ROUNDS: Final = 4


class IndexPermutation:
    """``P: [0, size) -> [0, size)``, a bijection determined by ``key`` (AES-256 round function)."""

    __slots__ = ("_aes", "_high", "_low", "size")

    def __init__(self, *, key: bytes, size: int) -> None:
        if size < 2:
            raise ValueError(f"a permutation needs a domain of at least 2 elements, not {size}")
        if len(key) < 16:
            raise ValueError("the permutation key must have at least 128 bits")
        self.size = size
        aes_key = key[:32] if len(key) >= 32 else key[:16]
        self._aes = Cipher(algorithms.AES(aes_key), modes.ECB()).encryptor()  # noqa: S305 - a PRF on single blocks
        # An unbalanced Feistel network over exactly ceil(log2(size)) bits: the halves have ``high`` and
        # ``low`` bits and swap widths every round, so a power-of-two size needs no cycle walking.
        bits = max(2, (size - 1).bit_length())
        self._high = bits // 2
        self._low = bits - self._high

    def _round(self, number: int, values: list[int]) -> list[int]:
        """The round function on many values at once: the first 64 bits of AES(key, round || value)."""
        prefix = bytes((number,)) + bytes(7)
        encrypted = self._aes.update(b"".join([prefix + value.to_bytes(8, "big") for value in values]))
        return [int.from_bytes(encrypted[offset : offset + 8], "big") for offset in range(0, len(encrypted), 16)]

    def _feistel(self, values: list[int]) -> list[int]:
        left_bits, right_bits = self._high, self._low
        right_mask = (1 << right_bits) - 1
        lefts = [value >> right_bits for value in values]
        rights = [value & right_mask for value in values]
        for number in range(_ROUNDS):
            # (L, R) -> (R, L xor F(R)): invertible whatever the widths; the widths then swap.
            left_mask = (1 << left_bits) - 1
            mixed = self._round(number, rights)
            lefts, rights = rights, [left ^ (f & left_mask) for left, f in zip(lefts, mixed, strict=True)]
            left_bits, right_bits = right_bits, left_bits
        return [(left << right_bits) | right for left, right in zip(lefts, rights, strict=True)]

    def many(self, start: int, count: int) -> list[int]:
        """The indexes of allocations ``start`` to ``start + count - 1``, computed together."""
        if count < 0 or start < 0 or start + count > self.size:
            raise ValueError(f"counters {start}..{start + count - 1} are outside [0, {self.size})")
        values = self._feistel(list(range(start, start + count)))
        pending = [position for position, value in enumerate(values) if value >= self.size]
        while pending:  # cycle walking (only when size is not a power of two)
            walked = self._feistel([values[position] for position in pending])
            for position, value in zip(pending, walked, strict=True):
                values[position] = value
            pending = [position for position in pending if values[position] >= self.size]
        return values

    def __call__(self, counter: int) -> int:
        """The index of the ``counter``-th allocation (``0 <= counter < size``)."""
        if not 0 <= counter < self.size:
            raise ValueError(f"counter {counter} is outside [0, {self.size})")
        return self.many(counter, 1)[0]
