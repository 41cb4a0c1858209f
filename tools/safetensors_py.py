"""Minimal safetensors writer/reader with the Python standard library (+ torch tensors as input), so the
fixture scripts need no extra package. Format: u64 LE header length, JSON header, raw little-endian data."""
import json, struct

_DT = {"float32": ("F32", 4), "float64": ("F64", 8), "int64": ("I64", 8)}

def save(path, tensors, metadata=None):
    """tensors: list of (name, torch.Tensor); f32/f64/i64 only; contiguous CPU copies are written."""
    header, blobs, off = {}, [], 0
    if metadata: header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in tensors:
        t = t.detach().cpu().contiguous()
        dt, size = _DT[str(t.dtype).replace("torch.", "")]
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw); off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs: f.write(b)

def load(path):
    import torch
    with open(path, "rb") as f: data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n]); base = 8 + n; out = {}
    for name, e in header.items():
        if name == "__metadata__": continue
        b, en = e["data_offsets"]
        dt = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}[e["dtype"]]
        out[name] = torch.frombuffer(bytearray(data[base + b: base + en]), dtype=dt).reshape(e["shape"])
    return out
