#!/usr/bin/env python3
"""make_loss_fixtures.py — reference fixtures for the losses in losses/, written by PyTorch.

Run by hand (dev time only; PyTorch is never a build or test dependency):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tools/make_loss_fixtures.py
It writes tests/fixtures/losses/<family>.safetensors, read by tests/test_losses_fixtures.cpp.

Format: plain safetensors (u64 little-endian header length, JSON header, raw little-endian data),
written here with struct + json. Every case is a group of tensors named
    <case>/in/<arg>      inputs (f64, or i64 labels); an input with a <case>/grad/<arg> is differentiated
    <case>/param/<name>  scalar hyper-parameters (f64, shape [])
    <case>/out           the loss (or logits) PyTorch computed
    <case>/gout          the upstream gradient fed to backward (shape of out)
    <case>/grad/<arg>    d sum(out * gout) / d arg
All in float64, so the C++ side can be held to 1e-5 relative (it is typically ~1e-15).
Where PyTorch has the loss (cross_entropy, nll_loss, BCE-with-logits, kl_div, triplet_margin_loss,
smooth_l1) it is called directly; the other losses are written here as PyTorch compositions that
follow shared/methods/*.md §2 (and the official code they cite), independently of the C++ code.
"""
import json
import os
import struct
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
# kl_div(reduction="mean") is a fixture case on purpose; PyTorch warns that it is not batchmean.
warnings.filterwarnings("ignore", message="reduction: 'mean' divides the total loss")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "losses")


# ---------------------------------------------------------------- safetensors writer
def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors:
        t = t.detach().contiguous().cpu()
        if t.dtype == torch.float64:
            dt, raw = "F64", t.numpy().astype("<f8").tobytes()
        elif t.dtype == torch.int64:
            dt, raw = "I64", t.numpy().astype("<i8").tobytes()
        else:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"generator": "tools/make_loss_fixtures.py", "torch": torch.__version__}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


class Family:
    """Collects the cases of one fixture file."""

    def __init__(self, name, seed):
        self.name, self.tensors, self.names = name, [], set()
        self.gen = torch.Generator().manual_seed(seed)

    def randn(self, *shape, scale=1.0):
        return torch.randn(*shape, generator=self.gen) * scale

    def rand(self, *shape, lo=0.0, hi=1.0):
        return lo + (hi - lo) * torch.rand(*shape, generator=self.gen)

    def labels(self, n, k):
        return torch.randint(0, k, (n,), generator=self.gen)

    def case(self, name, fn, inputs, params=None, grad=None):
        """inputs: dict arg -> tensor; grad: the args to differentiate (default: all float inputs)."""
        assert name not in self.names, name
        self.names.add(name)
        params = params or {}
        leaves = {}
        for k, v in inputs.items():
            v = v.detach().clone()
            if v.is_floating_point() and (grad is None or k in grad):
                v.requires_grad_(True)
            leaves[k] = v
        out = fn(**leaves, **params)
        gout = torch.randn(out.shape, generator=self.gen)
        (out * gout).sum().backward()
        p = f"{name}/"
        for k, v in leaves.items():
            self.tensors.append((p + "in/" + k, v))
        for k, v in params.items():
            self.tensors.append((p + "param/" + k, torch.tensor(float(v))))
        self.tensors.append((p + "out", out))
        self.tensors.append((p + "gout", gout))
        for k, v in leaves.items():
            if v.requires_grad:
                assert v.grad is not None, f"{name}: no gradient reached {k}"
                self.tensors.append((p + "grad/" + k, v.grad))

    def save(self):
        path = os.path.join(OUT_DIR, self.name + ".safetensors")
        save_safetensors(path, self.tensors)
        print(f"wrote {os.path.relpath(path, ROOT)}: {len(self.names)} cases, {os.path.getsize(path)} bytes")


def onehot(y, k):
    return F.one_hot(y, k).to(torch.float64)


# ---------------------------------------------------------------- PyTorch's own losses
def cross_entropy_family():
    f = Family("cross_entropy", 1)
    B, K = 6, 5
    z, y = f.randn(B, K, scale=2.0), f.labels(B, K)
    w = f.rand(K, lo=0.2, hi=2.0)
    for red in ("mean", "sum", "none"):
        f.case(f"ce_{red}", lambda z, y, red=red: F.cross_entropy(z, y, reduction=red), {"z": z, "y": y})
        f.case(f"ce_w_{red}", lambda z, y, w, red=red: F.cross_entropy(z, y, weight=w, reduction=red),
               {"z": z, "y": y, "w": w}, grad={"z"})
    f.case("ce_w_batchmean", lambda z, y, w: F.cross_entropy(z, y, weight=w, reduction="none").sum() / z.shape[0],
           {"z": z, "y": y, "w": w}, grad={"z"})
    f.case("ce_ls_mean", lambda z, y, eps: F.cross_entropy(z, y, label_smoothing=eps), {"z": z, "y": y},
           params={"eps": 0.1})
    for red in ("mean", "sum", "none"):
        f.case(f"ce_w_ls_{red}",
               lambda z, y, w, eps, red=red: F.cross_entropy(z, y, weight=w, label_smoothing=eps, reduction=red),
               {"z": z, "y": y, "w": w}, params={"eps": 0.2}, grad={"z"})
    f.case("ce_big", lambda z, y: F.cross_entropy(z, y), {"z": f.randn(B, K, scale=40.0), "y": y})
    q = torch.softmax(f.randn(B, K), 1)
    f.case("ce_soft", lambda z, q: F.cross_entropy(z, q), {"z": z, "q": q})
    logp = torch.log_softmax(f.randn(B, K), 1)
    f.case("nll_w_mean", lambda x, y, w: F.nll_loss(x, y, weight=w), {"x": logp, "y": y, "w": w}, grad={"x"})
    f.case("nll_none", lambda x, y: F.nll_loss(x, y, reduction="none"), {"x": logp, "y": y})
    f.save()


def bce_family():
    f = Family("bce", 2)
    B, K = 4, 3
    z, t = f.randn(B, K, scale=2.0), f.rand(B, K)
    w, pw = f.rand(1, K, lo=0.5, hi=2.0), f.rand(K, lo=0.5, hi=3.0)
    bce = F.binary_cross_entropy_with_logits
    for red in ("mean", "sum", "none"):
        f.case(f"bce_{red}", lambda z, t, red=red: bce(z, t, reduction=red), {"z": z, "t": t})
    f.case("bce_w_pw_mean", lambda z, t, w, pw: bce(z, t, weight=w, pos_weight=pw),
           {"z": z, "t": t, "w": w, "pw": pw}, grad={"z", "t"})
    f.case("bce_big", lambda z, t: bce(z, t, reduction="sum"), {"z": f.randn(B, K, scale=40.0), "t": t})
    f.save()


def kl_family():
    f = Family("kl_div", 3)
    B, K = 5, 4
    x = torch.log_softmax(f.randn(B, K), 1)
    t = torch.softmax(f.randn(B, K), 1)
    for red in ("batchmean", "mean", "sum", "none"):
        f.case(f"kl_{red}", lambda x, t, red=red: F.kl_div(x, t, reduction=red), {"x": x, "t": t})
    f.case("kl_log_target", lambda x, t: F.kl_div(x, t, reduction="batchmean", log_target=True),
           {"x": x, "t": torch.log(t)})
    t0 = t.clone()
    t0[0, 1] = 0.0
    t0[0] /= t0[0].sum()
    f.case("kl_zero_target", lambda x, t: F.kl_div(x, t, reduction="sum"), {"x": x, "t": t0}, grad={"x"})

    def hinton(s, t, T):
        return F.kl_div(F.log_softmax(s / T, 1), F.softmax(t.detach() / T, 1), reduction="batchmean")

    f.case("hinton_kd", hinton, {"s": f.randn(B, K, scale=3.0), "t": f.randn(B, K, scale=3.0)}, params={"T": 4.0},
           grad={"s"})
    f.save()


def batch_hard(x, y):
    """Batch-hard mining in torch: farthest positive, nearest negative (lowest index on ties)."""
    d = torch.cdist(x, x)
    same = y[:, None] == y[None, :]
    eye = torch.eye(len(y), dtype=torch.bool)
    a, p, n = [], [], []
    for i in range(len(y)):
        pos, neg = same[i] & ~eye[i], ~same[i]
        if pos.any() and neg.any():
            dp = torch.where(pos, d[i], torch.tensor(-1.0))
            dn = torch.where(neg, d[i], torch.tensor(float("inf")))
            a.append(i)
            p.append(int(torch.argmax(dp)))
            n.append(int(torch.argmin(dn)))
    return torch.tensor(a), torch.tensor(p), torch.tensor(n)


def triplet_family():
    f = Family("triplet", 4)
    T, D = 6, 4
    a, p, n = f.randn(T, D), f.randn(T, D), f.randn(T, D)

    def hinge_ok(margin, pnorm=2.0, swap=False):
        dap = F.pairwise_distance(a, p, pnorm)
        dan = F.pairwise_distance(a, n, pnorm)
        if swap:
            dpn = F.pairwise_distance(p, n, pnorm)
            assert (dan - dpn).abs().min() > 1e-3, "swap tie"
            dan = torch.minimum(dan, dpn)
        assert (dap - dan + margin).abs().min() > 1e-3, "a hinge sits on its kink; change the seed"

    hinge_ok(1.0)
    f.case("trip_default", lambda a, p, n: F.triplet_margin_loss(a, p, n), {"a": a, "p": p, "n": n})
    hinge_ok(0.2, swap=True)
    f.case("trip_m02_swap", lambda a, p, n, margin: F.triplet_margin_loss(a, p, n, margin=margin, swap=True),
           {"a": a, "p": p, "n": n}, params={"margin": 0.2})
    hinge_ok(0.5, pnorm=1.0)
    f.case("trip_p1_none", lambda a, p, n, margin, pnorm: F.triplet_margin_loss(a, p, n, margin=margin, p=pnorm,
                                                                               reduction="none"),
           {"a": a, "p": p, "n": n}, params={"margin": 0.5, "pnorm": 1.0})
    x, y = f.randn(8, 3), torch.tensor([0, 1, 0, 2, 1, 1, 2, 0])
    ia, ip, inn = batch_hard(x, y)

    def bh(x, y, margin):
        return F.triplet_margin_loss(x[ia], x[ip], x[inn], margin=margin)

    f.case("batch_hard", bh, {"x": x, "y": y}, params={"margin": 0.2})
    f.save()


def smooth_l1_family():
    f = Family("smooth_l1", 5)
    x, t = f.randn(4, 5, scale=1.5), f.randn(4, 5)
    for beta in (1.0, 0.5, 0.0):
        assert ((x - t).abs() - beta).abs().min() > 1e-3
    f.case("sl1_mean", lambda x, t: F.smooth_l1_loss(x, t), {"x": x, "t": t})
    f.case("sl1_beta05_sum", lambda x, t, beta: F.smooth_l1_loss(x, t, beta=beta, reduction="sum"), {"x": x, "t": t},
           params={"beta": 0.5})
    f.case("sl1_beta0_none", lambda x, t, beta: F.smooth_l1_loss(x, t, beta=beta, reduction="none"),
           {"x": x, "t": t}, params={"beta": 0.0})
    f.save()


# ---------------------------------------------------------------- compositions (spec §2 of each method)
def cb_weights_np(counts, beta):
    """cb.md §2 as the official code: (1-β)/(1-β^n), normalised to sum to C (β = 1: 1/n)."""
    counts = np.asarray(counts, dtype=np.float64)
    a = 1.0 / counts if beta == 1.0 else (1.0 - beta) / (1.0 - np.power(beta, counts))
    return a / a.sum() * len(counts)


def cb_family():
    f = Family("class_balanced", 6)
    counts = [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60]
    for beta in (0.9999, 0.999, 0.99, 0.9, 1.0):
        f.tensors.append((f"cb_weights/beta_{beta}", torch.tensor(cb_weights_np(counts, beta))))
    f.tensors.append(("cb_weights/counts", torch.tensor(counts)))
    B, K = 6, 5
    z, y = f.randn(B, K, scale=2.0), f.labels(B, K)
    a = torch.tensor(cb_weights_np([50, 20, 9, 4, 2], 0.99))

    def cb_softmax(z, y, a):  # TF SUM_BY_NONZERO_WEIGHTS: Σ a_y·CE / B
        return (a[y] * F.cross_entropy(z, y, reduction="none")).sum() / z.shape[0]

    def bce_terms(z, t):  # the official max(z,0) - z t + log1p(exp(-|z|))
        return torch.clamp(z, min=0) - z * t + torch.log1p(torch.exp(-z.abs()))

    def cb_sigmoid(z, y, a):
        return (a[y][:, None] * bce_terms(z, onehot(y, K))).sum() / z.shape[0]

    def cb_focal(z, y, a, gamma):
        t = onehot(y, K)
        mod = torch.exp(-gamma * t * z - gamma * torch.log1p(torch.exp(-z)))  # official form (fine for |z| < 80)
        return (a[y][:, None] * mod * bce_terms(z, t)).sum() / z.shape[0]

    f.case("cb_softmax", cb_softmax, {"z": z, "y": y, "a": a}, grad={"z"})
    f.case("cb_sigmoid", cb_sigmoid, {"z": z, "y": y, "a": a}, grad={"z"})
    for g in (0.5, 1.0, 2.0):
        f.case(f"cb_focal_g{g}", cb_focal, {"z": z, "y": y, "a": a}, params={"gamma": g}, grad={"z"})

    def focal_terms(z, t, gamma):
        return torch.exp(-gamma * t * z - gamma * F.softplus(-z)) * bce_terms(z, t)

    f.case("sigmoid_focal_none", focal_terms, {"z": z, "t": f.rand(B, K)}, params={"gamma": 2.0})

    def softmax_focal(z, y, w, gamma):  # M2m utils.FocalLoss(reduction='none') then .mean()
        ce = F.cross_entropy(z, y, weight=w, reduction="none")
        return ((1 - torch.exp(-ce)) ** gamma * ce).mean()

    for g in (0.5, 1.0):
        f.case(f"softmax_focal_g{g}", softmax_focal, {"z": z, "y": y, "w": a}, params={"gamma": g}, grad={"z"})
    f.save()


def ldam_family():
    f = Family("ldam", 7)
    counts = [500, 200, 90, 40, 12]
    B, K = 8, 5
    z, y = f.rand(B, K, lo=-1.0, hi=1.0), f.labels(B, K)
    m = 1.0 / np.sqrt(np.sqrt(np.asarray(counts, dtype=np.float64)))
    m = torch.tensor(m * (0.5 / m.max()))
    f.tensors.append(("ldam_margins/counts", torch.tensor(counts)))
    f.tensors.append(("ldam_margins/max_m_0.5", m))
    w = torch.tensor(cb_weights_np(counts, 0.999))

    def ldam(z, y, m, w, s, wmean):  # the LDAM-DRW LDAMLoss forward, with M2m's reduction='none' + mean
        idx = onehot(y, K).bool()
        out = torch.where(idx, z - m[y][:, None], z)
        if wmean:
            return F.cross_entropy(s * out, y, weight=w)
        return F.cross_entropy(s * out, y, weight=w, reduction="none").mean()

    f.case("ldam_drw", ldam, {"z": z, "y": y, "m": m, "w": w}, params={"s": 30.0, "wmean": 0.0}, grad={"z"})
    f.case("ldam_drw_wmean", ldam, {"z": z, "y": y, "m": m, "w": w}, params={"s": 30.0, "wmean": 1.0}, grad={"z"})
    f.case("ldam_plain", ldam, {"z": z, "y": y, "m": m, "w": torch.ones(K)}, params={"s": 10.0, "wmean": 0.0},
           grad={"z"})
    f.save()


def rkd_family():
    f = Family("rkd", 8)

    def pdist(e, eps=1e-12):  # the official RKD metric/utils.pdist (Gram expansion, clamp, zero diagonal)
        sq = e.pow(2).sum(1)
        res = (sq[:, None] + sq[None, :] - 2 * e @ e.t()).clamp(min=eps).sqrt().clone()
        res[range(len(e)), range(len(e))] = 0
        return res

    def rkd_d(s, t):
        with torch.no_grad():
            td = pdist(t)
            td = td / td[td > 0].mean()
        d = pdist(s)
        d = d / d[d > 0].mean()
        return F.smooth_l1_loss(d, td)

    def rkd_a(s, t):
        with torch.no_grad():
            tv = t[None, :, :] - t[:, None, :]
            tn = F.normalize(tv, p=2, dim=2)
            ta = torch.bmm(tn, tn.transpose(1, 2)).reshape(-1)
        sv = s[None, :, :] - s[:, None, :]
        sn = F.normalize(sv, p=2, dim=2)
        sa = torch.bmm(sn, sn.transpose(1, 2)).reshape(-1)
        return F.smooth_l1_loss(sa, ta)

    S, T = f.randn(6, 3), f.randn(6, 5)
    f.case("rkd_distance", rkd_d, {"s": S, "t": T}, grad={"s"})
    f.case("rkd_angle", rkd_a, {"s": S, "t": T}, grad={"s"})
    S2, T2 = f.randn(5, 4, scale=3.0), f.randn(5, 2, scale=0.3)
    f.case("rkd_distance_scaled", rkd_d, {"s": S2, "t": T2}, grad={"s"})
    f.case("rkd_angle_scaled", rkd_a, {"s": S2, "t": T2}, grad={"s"})
    f.save()


def sla_family():
    f = Family("sla", 9)
    B, M, N = 3, 4, 3
    L, y = f.randn(B * M, N * M, scale=2.0), f.labels(B, N)

    def joint(y):
        return (y[:, None] * M + torch.arange(M)[None, :]).reshape(-1)

    def agg(L):
        L4 = L.reshape(B, M, N, M)
        return torch.stack([L4[:, j, :, j] for j in range(M)], 0).mean(0)

    f.case("sla_loss", lambda L, y: F.cross_entropy(L, joint(y)), {"L": L, "y": y})
    f.case("sla_loss_large", lambda L, y: F.cross_entropy(L, joint(y)) * M, {"L": L, "y": y})
    f.case("sla_aggregated", agg, {"L": L})
    f.case("sla_single", lambda L0: L0[:, ::M], {"L0": f.randn(B, N * M)})

    def sd(L, head, y, T, beta):
        target = F.softmax(agg(L).detach() / T, 1)
        kd = F.kl_div(F.log_softmax(head / T, 1), target, reduction="batchmean") * T * T
        return F.cross_entropy(L, joint(y)) + beta * F.cross_entropy(head, y) + kd

    head = f.randn(B, N, scale=2.0)
    f.case("sla_sd", sd, {"L": L, "head": head, "y": y}, params={"T": 1.0, "beta": 1.0})
    f.case("sla_sd_T2", sd, {"L": L, "head": head, "y": y}, params={"T": 2.0, "beta": 0.5})
    f.save()


def rpl_family():
    f = Family("rpl", 10)
    B, D, K = 5, 4, 3
    x, y = f.randn(B, D), f.labels(B, K)
    P = f.randn(K, D, scale=0.5)

    def dist(x, P):  # ||f - p||² / D, the ARPL code's "l2" metric
        return ((x[:, None, :] - P[None, :, :]) ** 2).mean(2)

    def gcpl(x, P, y, T, lam):
        d = dist(x, P)
        return F.cross_entropy(-d / T, y) + lam * F.mse_loss(x, P[y]) / 2

    def rpl(x, P, R, y, M, T, lam):
        M = int(M)
        d_all = dist(x, P)                                    # [B, K*M]
        logits = d_all.reshape(B, -1, M).mean(2)
        own = d_all.reshape(B, -1, M)[torch.arange(B), y]    # [B, M]
        r = R[y][:, None] if R.numel() > 1 else R.reshape(1, 1)
        return F.cross_entropy(logits / T, y) + lam * ((own - r) ** 2).mean()

    def arpl(x, P, R, y, T, lam):
        d = dist(x, P)
        logits = d - x @ P.t()
        own = d[torch.arange(B), y]
        reg = F.margin_ranking_loss(R.expand(B), own, torch.ones(B), margin=1.0)
        return F.cross_entropy(logits / T, y) + lam * reg

    f.case("gcpl", gcpl, {"x": x, "P": P, "y": y}, params={"T": 1.0, "lam": 0.1})
    f.case("gcpl_logits", lambda x, P: -dist(x, P), {"x": x, "P": P})
    f.case("rpl_shared", rpl, {"x": x, "P": P, "R": torch.tensor([0.3]), "y": y},
           params={"M": 1, "T": 1.0, "lam": 0.1})
    P2 = f.randn(K * 2, D, scale=0.5)
    f.case("rpl_perclass_M2", rpl, {"x": x, "P": P2, "R": f.rand(K), "y": y}, params={"M": 2, "T": 2.0, "lam": 0.5})
    f.case("rpl_logits_M2", lambda x, P: dist(x, P).reshape(B, -1, 2).mean(2), {"x": x, "P": P2})
    R = torch.tensor([1.2])
    own = dist(x, P)[torch.arange(B), y]
    assert ((own - R + 1).abs() > 1e-3).all(), "an ARPL hinge sits on its kink"
    f.case("arpl", arpl, {"x": x, "P": P, "R": R, "y": y}, params={"T": 1.0, "lam": 0.1})
    f.case("arpl_logits", lambda x, P: dist(x, P) - x @ P.t(), {"x": x, "P": P})
    f.save()


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for fam in (cross_entropy_family, bce_family, kl_family, triplet_family, smooth_l1_family, cb_family,
                ldam_family, rkd_family, sla_family, rpl_family):
        fam()
    total = sum(os.path.getsize(os.path.join(OUT_DIR, n)) for n in os.listdir(OUT_DIR))
    print(f"total {total} bytes in {os.path.relpath(OUT_DIR, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
