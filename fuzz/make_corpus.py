#!/usr/bin/env python3
"""fuzz/make_corpus.py — writes the seed corpora fuzz/corpus/<target>/ (standard library only; the images
are fixed bytes written once by stb_image_write). Small valid inputs of every form each reader accepts, so
the fuzzer starts past the first checks. Run from anywhere; rewrites the seed files it owns."""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    header, off, blob = {}, 0, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        blob += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + blob


def f32(*v): return struct.pack("<%df" % len(v), *v)
def i64(*v): return struct.pack("<%dq" % len(v), *v)


def idx(dims, payload):
    return struct.pack(">I", 0x0800 | len(dims)) + b"".join(struct.pack(">I", d) for d in dims) + bytes(payload)


def main():
    # safetensors: every readable dtype, an empty tensor, an image set, a model file's metadata.
    put("safetensors", "dtypes.safetensors", safetensors([
        ("a", "F32", [2, 2], f32(1, 2, 3, 4)), ("b", "F64", [1], struct.pack("<d", 0.5)), ("c", "I64", [2], i64(7, -1)),
        ("d", "I32", [2], struct.pack("<2i", 3, -4)), ("e", "F16", [2], struct.pack("<2H", 0x3c00, 0x0001)),
        ("f", "BF16", [1], struct.pack("<H", 0x3f80)), ("g", "BOOL", [3], bytes([0, 1, 2])),
        ("h", "U8", [2], bytes([0, 255])), ("z", "F32", [0, 3], b"")], {"k": "v"}))
    put("safetensors", "image_set.safetensors", safetensors([
        ("x", "F32", [2, 1, 2, 2], f32(0, .25, .5, 1, 1, .5, .25, 0)), ("y", "I64", [2], i64(0, 1))],
        {"num_classes": "2", "class_names": json.dumps(["a", "b"])}))
    put("safetensors", "image_set_u8.safetensors", safetensors([
        ("x", "U8", [1, 3, 1, 2], bytes([0, 10, 20, 30, 40, 255])), ("y", "I64", [1], i64(0))]))
    spec = {"name": "convnet", "in_channels": 1, "num_classes": 2, "stem": "cifar", "widths": [2],
            "leaky_slope": 0.0, "fc_bias": True, "conv_bias": False, "pool": 1}
    put("safetensors", "model_file.safetensors", safetensors([("fc.weight", "F32", [2, 2], f32(1, 0, 0, 1))], {
        "eigengrad_model": "1", "model": "convnet", "spec": json.dumps(spec), "input_shape": "[1,4,4]",
        "mean": "[0.5]", "std": "[0.25]", "class_names": '["a","b"]', "dataset": "fashion-mnist",
        "trainer": "train_erm"}))
    put("safetensors", "empty.safetensors", safetensors([]))

    # idx: first byte 0 = the file as it is, 1 = gzip-compressed by the target.
    labels, images = idx([5], [0, 1, 2, 9, 3]), idx([2, 3, 3], range(18))
    for name, data in [("labels", labels), ("images", images)]:
        put("idx", name + ".plain", b"\0" + data)
        put("idx", name + ".gzip-by-target", b"\1" + data)
    put("idx", "labels.gz", b"\0" + gzip.compress(labels, mtime=0))

    # cifar: first byte bit 0 = CIFAR-100 (bit 1: coarse labels).
    pixels = bytes((i * 7) % 256 for i in range(3072))
    put("cifar", "cifar10_2", b"\0" + bytes([3]) + pixels + bytes([9]) + pixels)
    put("cifar", "cifar100_fine", b"\1" + bytes([4, 77]) + pixels)
    put("cifar", "cifar100_coarse", b"\3" + bytes([19, 1]) + pixels)

    # image: first byte bit 7 = RGB, bits 0-4 = output side - 1.
    for name in ["rgb.png", "gray.png", "rgb.bmp", "rgb.jpg", "gray.jpg"]:
        with open(os.path.join(HERE, "corpus", "image", name), "rb") as f:
            data = f.read()
        if data[:1] in (b"\x83", b"\x03"):  # already prefixed (a rerun)
            continue
        put("image", name, b"\x83" + data)

    # image_list: first byte bit 0 = with 3 classes.
    put("image_list", "plain", "\0a.png 0\nb.png 1\n")
    put("image_list", "classes", "\1a.png 2\r\n\n  b.png\t0  \nc/../a.png 1\n")

    # cub_lists: classes.txt, images.txt, image_class_labels.txt, train_test_split.txt cut at NUL.
    put("cub_lists", "train", "\1" + "\0".join(["1 001.Black_footed_Albatross\n2 002.Laysan_Albatross\n",
                                                "1 a.png\n2 b.png\n3 a.png\n", "1 1\n2 2\n3 2\n", "1 1\n2 0\n3 1\n"]))
    put("cub_lists", "test", "\0" + "\0".join(["1 A\n", "7 b.png\n", "7 1\n", "7 0\n"]))

    # train_flags: argument words cut at NUL.
    for i, words in enumerate([["--quick"], ["--epochs", "3", "--lr", "0.1", "--batch-size", "64"],
                               ["--model", "convnet", "--widths", "8", "16", "--pool", "2"],
                               ["--schedule", "cosine", "--warmup", "1.5", "--nesterov"],
                               ["--milestones", "2", "1"], ["--device", "cuda"], ["--resume", "--force"],
                               ["--eval-only"], ["--quick", "--model", "resnet18"], ["--threads", "1", "--seed", "7"],
                               ["--momentum", "1e-3x"], ["--no-augment", "--crop-padding", "2"],
                               ["--val-per-class", "5", "--dataset", "mnist", "--image-size", "8"]]):
        put("train_flags", "args%02d" % i, "\0".join(words))


if __name__ == "__main__":
    main()
