#!/usr/bin/env bash
# Fuzzes the GGUF reader/writer with libFuzzer (clang, ASan + UBSan).
#
#   bash scripts/fuzz.sh [SECONDS]     (default 60; one worker, the machine is shared)
#
# Builds build-fuzz/tests/fuzz_gguf, writes seed files to build-fuzz/fuzz-seeds/gguf (hand-made
# files covering every value type, nested arrays, v2, custom alignment and tensors of the common
# types, plus the files of ../shared/testdata shrunk to a few KB: arrays cut to 8 items, tensors to
# one block each), then runs. New interesting inputs go to build-fuzz/fuzz-corpus/gguf and any
# crash to build-fuzz/fuzz-artifacts/. Extra arguments after SECONDS go to libFuzzer.
set -euo pipefail

seconds="${1:-60}"
shift || true
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${HEARTH_FUZZ_BUILD:-$root/build-fuzz}"
testdata="${HEARTH_TESTDATA:-$root/../shared/testdata}"

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHEARTH_FUZZ=ON -DHEARTH_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j2 --target fuzz_gguf

seeds="$build/fuzz-seeds/gguf"
corpus="$build/fuzz-corpus/gguf"
artifacts="$build/fuzz-artifacts"
mkdir -p "$seeds" "$corpus" "$artifacts"

python3 - "$seeds" "$testdata" <<'PY'
import os, random, struct, sys

seeds, testdata = sys.argv[1], sys.argv[2]
random.seed(1)
SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
# ggml type id -> (values per block, bytes per block) for the types the seeds use
BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
          10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
          30: (1, 2)}

class Reader:
    def __init__(self, data): self.d, self.p = data, 0
    def take(self, n):
        b = self.d[self.p:self.p + n]; self.p += n
        if len(b) != n: raise ValueError("truncated")
        return b
    def u32(self): return struct.unpack("<I", self.take(4))[0]
    def u64(self): return struct.unpack("<Q", self.take(8))[0]
    def string(self): return self.take(self.u64())
    def value(self, t):
        if t in SCALAR: return self.take(SCALAR[t])
        if t == 8: return self.string()
        et, n = self.u32(), self.u64()
        return (et, [self.value(et) for _ in range(n)])

def enc_string(s): return struct.pack("<Q", len(s)) + s
def enc_value(t, v, keep):
    if t in SCALAR: return v
    if t == 8: return enc_string(v)
    et, items = v
    items = items[:keep]
    return struct.pack("<IQ", et, len(items)) + b"".join(enc_value(et, i, keep) for i in items)

def build(kvs, tensors, version=3, alignment=32, keep=8):
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    for key, t, v in kvs:
        out += enc_string(key) + struct.pack("<I", t) + enc_value(t, v, keep)
    offset, datas = 0, b""
    for name, ne, ty, data in tensors:
        out += enc_string(name) + struct.pack("<I", len(ne)) + struct.pack("<%dq" % len(ne), *ne)
        out += struct.pack("<IQ", ty, offset)
        pad = -len(data) % alignment
        datas += data + b"\0" * pad
        offset += len(data) + pad
    if tensors:
        out += b"\0" * (-len(out) % alignment)
    return out + datas

def shrink(path):
    r = Reader(open(path, "rb").read())
    r.take(4); version = r.u32(); n_t, n_kv = r.u64(), r.u64()
    kvs = []
    for _ in range(n_kv):
        key = r.string(); t = r.u32(); kvs.append((key, t, r.value(t)))
    tensors = []
    for _ in range(n_t):
        name = r.string(); nd = r.u32()
        struct.unpack("<%dq" % nd, r.take(8 * nd)); ty = r.u32(); r.u64()
        if len(tensors) < 4 and ty in BLOCKS:
            blk, size = BLOCKS[ty]
            tensors.append((name, [blk], ty, bytes(random.randrange(256) for _ in range(size))))
    align = next((struct.unpack("<I", v)[0] for k, t, v in kvs if k == b"general.alignment"), 32)
    return build(kvs, tensors, version, align)

def rand_data(ty, blocks=1):
    blk, size = BLOCKS[ty]
    return bytes(random.randrange(256) for _ in range(size * blocks))

crafted = {
    "all_value_types": build([
        (b"u8", 0, b"\x07"), (b"i8", 1, b"\xff"), (b"u16", 2, b"\x01\x02"), (b"i16", 3, b"\xfe\xff"),
        (b"u32", 4, struct.pack("<I", 256)), (b"i32", 5, struct.pack("<i", -3)),
        (b"f32", 6, struct.pack("<f", 1e-5)), (b"bool", 7, b"\x01"), (b"str", 8, b"llama"),
        (b"u64", 10, struct.pack("<Q", 1 << 40)), (b"i64", 11, struct.pack("<q", -1)),
        (b"f64", 12, struct.pack("<d", 3.25)),
        (b"strs", 9, (8, [b"<unk>", b"a", b""])), (b"nested", 9, (9, [(4, [b"\1\0\0\0"]), (8, [])])),
    ], []),
    "tensors": build([(b"general.architecture", 8, b"llama")], [
        (b"f32", [4, 2], 0, rand_data(0, 8)), (b"f16", [8], 1, rand_data(1, 8)),
        (b"q4_0", [32, 2], 2, rand_data(2, 2)), (b"q8_0", [32], 8, rand_data(8)),
        (b"q4_k", [256], 12, rand_data(12)), (b"q6_k", [256], 14, rand_data(14))]),
    "v2_align64": build([(b"general.alignment", 4, struct.pack("<I", 64))],
                        [(b"w", [3, 1, 1, 1], 0, rand_data(0, 3))], version=2, alignment=64),
    "tensorless_padded": build([(b"k", 8, b"v")], []) + b"\0" * 15,
}
for name, data in crafted.items():
    open(os.path.join(seeds, name + ".gguf"), "wb").write(data)
count = len(crafted)
for sub in ("vocab", "models"):
    d = os.path.join(testdata, sub)
    if not os.path.isdir(d): continue
    for f in sorted(os.listdir(d)):
        if f.endswith(".gguf"):
            open(os.path.join(seeds, "shrunk-" + f), "wb").write(shrink(os.path.join(d, f)))
            count += 1
print(f"fuzz.sh: {count} seed files in {seeds}")
PY

# Strings the mutator should know about.
dict="$build/fuzz-seeds/gguf.dict"
printf '%s\n' '"GGUF"' '"general.alignment"' '"general.architecture"' '"tokenizer.ggml.tokens"' \
  '"\x03\x00\x00\x00"' '"\x09\x00\x00\x00"' '"\x08\x00\x00\x00"' '"\xff\xff\xff\xff\xff\xff\xff\x7f"' \
  >"$dict"

echo "fuzz.sh: running fuzz_gguf for ${seconds}s (1 worker)"
"$build/tests/fuzz_gguf" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
  -dict="$dict" -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" "$corpus" "$seeds"
