"""Merkle tree hashes as RFC 6962 defines them (Certificate Transparency), pure.

A leaf hashes as ``sha256(0x00 || data)`` and an inner node as ``sha256(0x01 || left ||
right)``, so a leaf can never pass as a node (the second-preimage trick a plain tree
allows). A tree of n > 1 leaves splits at the largest power of two below n; the root of
no leaves is ``sha256(b"")``. Written here rather than taken from a library: the one
maintained Python package (pymerkle) is GPL-3.0, and this is twenty lines.
"""

import hashlib
from collections.abc import Sequence

__all__ = ["leaf_hash", "merkle_root", "node_hash"]


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf's data."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node over its two children's hashes."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The RFC 6962 Merkle tree hash over leaf hashes (already `leaf_hash`ed), in order."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    # Bottom up, pairing neighbours and carrying an odd last node up unchanged: the same
    # root as RFC 6962's top-down split at the largest power of two below n.
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]
