"""The order in which a mini-batch run visits the points: a function of the seed alone.

TensorFlow's random numbers differ with and without XLA (the compile fallback
takes the plain graph), so a run file could replay other batches on another
machine. Here each epoch's order is integer arithmetic only: every point gets
a 32-bit hash of (seed, epoch, its index), and the points are visited in the
order of their hashes. The hash (xor-shift and odd multiplies, after Thomas
Mueller's integer hash) is a bijection on 32 bits, so no two points tie, and
integer ops give the same bits under XLA, without it, and on any device.
"""

from __future__ import annotations

import tensorflow as tf

_MASK = 0xFFFFFFFF
_MULTIPLIER = 0x45D9F3B  # < 2**27: a 32-bit value times it stays below 2**59, no int64 overflow


def _mix(x: tf.Tensor) -> tf.Tensor:
    """A 32-bit bijection of int64 values in [0, 2**32)."""
    for _ in range(2):
        x = tf.bitwise.bitwise_and(
            tf.bitwise.bitwise_xor(tf.bitwise.right_shift(x, 16), x) * _MULTIPLIER, _MASK)
    return tf.bitwise.bitwise_xor(tf.bitwise.right_shift(x, 16), x)


def epoch_order(seed: tf.Tensor, epoch: tf.Tensor, n: int) -> tf.Tensor:
    """The indices 0..n-1 in the order epoch `epoch` of a run seeded `seed` visits them."""
    seed = tf.bitwise.bitwise_and(tf.cast(seed, tf.int64), _MASK)
    epoch = tf.bitwise.bitwise_and(tf.cast(epoch, tf.int64), _MASK)
    base = _mix(tf.bitwise.bitwise_xor(_mix(seed), epoch))
    keys = _mix(tf.bitwise.bitwise_and(base + tf.range(n, dtype=tf.int64), _MASK))
    return tf.cast(tf.argsort(keys), tf.int32)
