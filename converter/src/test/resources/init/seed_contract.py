"""An independent transcription of initkit's seed contract (docs/user-guide.md, "Seed contract"), in plain
Python: the stream seed, the block rule, SplitMix64 (SplittableRandom's nextLong/nextDouble) and the
two-sigma ziggurat of a truncated normal. SeedContractTranscriptionTest compares its output with
initkit's draws.

usage: seed_contract.py SEED LAYER_PATH WEIGHT_NAME COUNT
prints the stream seed (hex), then COUNT standard truncated normals of that stream, one per line
(float.hex), elements 0, 1, ... in the order of the block rule.
"""
import math
import sys

M64 = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15
BLOCK = 65536


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def hash64(s):
    h = 0xCBF29CE484222325
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & M64
    return mix64(h)


def stream_seed(seed, layer_path, weight_name):
    s = mix64((seed & M64) ^ 0x696E69746B697431)
    s = mix64(s ^ hash64(layer_path))
    return mix64(s ^ hash64(weight_name))


class SplitMix64:
    """java.util.SplittableRandom(seed): nextLong and nextDouble."""

    def __init__(self, seed):
        self.seed = seed & M64

    def next_long(self):
        self.seed = (self.seed + GOLDEN_GAMMA) & M64
        return mix64(self.seed)

    def next_double(self):
        return (self.next_long() >> 11) * 2.0 ** -53


LAYERS = 256
AREA = float.fromhex("0x1.33f258d883c97p-8")


def inverse(y):
    if y == 0:
        return math.inf
    return 0.0 if y >= 1 else math.sqrt(-2 * math.log(y))


def tables():
    y = [0.0] * (LAYERS + 1)
    w = [0.0] * LAYERS
    for k in range(LAYERS):
        w[k] = min(2.0, inverse(y[k]))
        y[k + 1] = y[k] + AREA / w[k]
    y[LAYERS] = 1.0
    accept = [int(min(2.0, inverse(y[k + 1])) / w[k] * 2.0 ** 52) for k in range(LAYERS)]
    scale = [wk / 2.0 ** 52 for wk in w]
    return y, scale, accept


Y, SCALE, ACCEPT = tables()


def truncated(r):
    while True:
        u = r.next_long()
        k = u & 255
        j = (u - (1 << 64) if u >> 63 else u) >> 11  # arithmetic shift of the signed value
        x = j * SCALE[k]
        if abs(j) < ACCEPT[k]:
            return x
        if Y[k] + r.next_double() * (Y[k + 1] - Y[k]) < math.exp(-0.5 * x * x):
            return x


def main():
    seed, layer, weight, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = stream_seed(seed, layer, weight)
    out = [format(s, "016x")]
    for block in range((count + BLOCK - 1) // BLOCK):
        r = SplitMix64(mix64((s + (block + 1) * GOLDEN_GAMMA) & M64))
        for _ in range(min(BLOCK, count - block * BLOCK)):
            out.append(truncated(r).hex())
    print("\n".join(out))


if __name__ == "__main__":
    main()
