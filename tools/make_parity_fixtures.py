#!/usr/bin/python3
"""Writes the PyTorch parity fixtures of tests/test_parity.cpp (run by hand with Debian's python3-torch;
never needed by the build or the tests):
  tests/fixtures/parity/resnet32_fmnist.safetensors — a ResNet-32 (1x28x28, 10 classes) as PyTorch initializes
    it: its whole state_dict (loaded by the test as a user would load a PyTorch checkpoint), an input batch and
    labels (the first seeded batch whose float32 gradients agree with float64 to 1e-4: well_conditioned_batch),
    train-mode logits, the cross-entropy loss, every parameter gradient in float32 and float64, eval-mode
    logits and features, and the float64 losses of 10 SGD steps (see trajectory()).
  tests/fixtures/parity/resnet18_cifar.safetensors — a ResNet-18 (CIFAR stem) whose 11M weights are not stored
    but set by an integer hash both sides compute exactly (see formula_weights; s = 1/sqrt(fan_in) for
    weights, 0.1 for vectors), an input, logits, loss, the gradients of a few tensors in full and the sum and
    sum of squares of every gradient, and 10 float64 SGD-step losses on an [8, 3, 16, 16] batch. BatchNorm scales (1-D "weight"s) are 1 + that.
Models come from shared/bench/torch_bench.py, so names and shapes are the benchmark's own.
Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tools/make_parity_fixtures.py"""
import math, os, sys
import torch, torch.nn.functional as F
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "shared", "bench")); sys.path.insert(0, here)
import torch_bench as tb
import safetensors_py as st
torch.set_num_threads(2)
torch.set_default_dtype(torch.float32)
OUT = os.path.join(here, "..", "tests", "fixtures", "parity")

def formula_weights(model):
    """Deterministic pseudo-random weights both sides compute exactly in integer arithmetic:
    u = ((i * 2654435761 + k * 40503) mod 2^32) / 2^32 - 0.5, w = s * 2 * sqrt(3) * u (variance s^2)."""
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            i = torch.arange(p.numel(), dtype=torch.int64)
            u = ((i * 2654435761 + k * 40503) % 2**32).double() / 2**32 - 0.5
            s = 1.0 / math.sqrt(p[0].numel()) if p.dim() >= 2 else 0.1
            w = s * 2 * math.sqrt(3) * u
            if p.dim() == 1 and name.endswith("weight"):  # BatchNorm scales: around 1
                w = 1.0 + w
            p.copy_(w.reshape(p.shape).to(torch.float32))

def trajectory(model, x, y, steps=10):
    """Losses of 10 SGD steps (lr 0.01, momentum 0.9, wd 5e-4) run in float64: float32 runs of this very
    PyTorch code differ from its float64 run by 0.8-2.5% after 10 steps on such tiny batches, so a float32
    trajectory would measure rounding noise, not the engine. The float32 kernels are checked by the
    one-step logits and gradients."""
    model = model.double(); x = x.double()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    losses = []
    for _ in range(steps):
        opt.zero_grad(); loss = F.cross_entropy(model(x), y); loss.backward(); opt.step(); losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float64)

def train_grads(m, x, y):
    """Train-mode logits, loss and parameter gradients of one forward/backward (m's grads are left set)."""
    m.zero_grad(); m.train(); logits = m(x); loss = F.cross_entropy(logits, y); loss.backward()
    return logits, loss, [(n, p.grad.clone()) for n, p in m.named_parameters()]

def well_conditioned_batch(m, max_rel=1e-4, tries=50):
    """An input batch whose float32 gradients agree with its float64 ones to max_rel for every parameter.
    A ReLU input that lies within float32 rounding of 0 has two valid float32 gradients, and which one a
    kernel gets depends on its summation order and on FMA contraction (seen: one such batch gave 1.4e-2
    apart in layer2.2 between -march=native and the x86-64 baseline build); such batches test nothing."""
    import copy
    m64 = copy.deepcopy(m).double()
    for seed in range(tries):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(16, 1, 28, 28, generator=g); y = torch.randint(0, 10, (16,), generator=g)
        _, _, g32 = train_grads(copy.deepcopy(m), x, y)
        _, _, g64 = train_grads(m64, x.double(), y)
        worst = max(((a.double() - b).abs().max() / b.abs().max()).item() for (_, a), (_, b) in zip(g32, g64))
        if worst <= max_rel:
            return x, y, g64
        print(f"resnet32: input seed {seed}: float32 vs float64 gradients {worst:.1e} apart, next seed")
    sys.exit("resnet32: no well-conditioned batch found")

def resnet32():
    torch.manual_seed(0)
    m = tb.CifarResNet(n=5, cin=1, classes=10)
    state = [(k, v.clone()) for k, v in m.state_dict().items()]
    x, y, g64 = well_conditioned_batch(m)
    m.load_state_dict(dict(state))
    logits, loss, g32 = train_grads(m, x, y)
    grads = [("grad." + n, g) for n, g in g32] + [("grad64." + n, g) for n, g in g64]
    # eval-mode outputs of the *initial* weights with the running stats after that one train forward
    m.eval()
    with torch.no_grad(): eval_logits = m(x); eval_feat = m.features(x)
    eval_state = [("eval_state." + k, v.clone()) for k, v in m.state_dict().items() if "running" in k or "num_batches" in k]
    m.load_state_dict(dict(state)); m.train()
    traj = trajectory(m, x, y)
    st.save(os.path.join(OUT, "resnet32_fmnist.safetensors"),
            [("state." + k, v) for k, v in state] + eval_state + grads +
            [("x", x), ("y", y), ("logits", logits.detach()), ("loss", loss.detach().reshape(1)),
             ("eval_logits", eval_logits), ("eval_features", eval_feat), ("trajectory", traj)],
            {"script": "tools/make_parity_fixtures.py", "torch": torch.__version__})

def resnet18():
    m = tb.ResNet18(cin=3, classes=10); formula_weights(m)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 3, 32, 32, generator=g); y = torch.tensor([3, 1, 4, 1])
    m.train(); logits = m(x); loss = F.cross_entropy(logits, y); loss.backward()
    full = ["conv1.weight", "layer1.0.bn1.weight", "layer4.1.bn2.bias", "fc.weight", "fc.bias"]
    grads = [("grad." + n, m.get_parameter(n).grad.clone()) for n in full]
    sums = torch.tensor([p.grad.double().sum().item() for _, p in m.named_parameters()], dtype=torch.float64)
    sqs = torch.tensor([p.grad.double().pow(2).sum().item() for _, p in m.named_parameters()], dtype=torch.float64)
    m = tb.ResNet18(cin=3, classes=10); formula_weights(m)
    x8 = torch.randn(8, 3, 16, 16, generator=g); y8 = torch.randint(0, 10, (8,), generator=g)
    traj = trajectory(m, x8, y8)
    st.save(os.path.join(OUT, "resnet18_cifar.safetensors"),
            grads + [("x", x), ("y", y), ("logits", logits.detach()), ("loss", loss.detach().reshape(1)),
                     ("grad_sums", sums), ("grad_sqsums", sqs), ("traj_x", x8), ("traj_y", y8), ("trajectory", traj)],
            {"script": "tools/make_parity_fixtures.py", "torch": torch.__version__})

def optimizers():
    """5 steps of each optimizer on a fixed [3, 4] f64 parameter with fixed per-step gradients."""
    g = torch.Generator().manual_seed(2)
    p0 = torch.randn(3, 4, generator=g, dtype=torch.float64); grads = torch.randn(5, 3, 4, generator=g, dtype=torch.float64)
    configs = {
        "sgd": lambda q: torch.optim.SGD([q], lr=0.1),
        "sgd_momentum_wd": lambda q: torch.optim.SGD([q], lr=0.1, momentum=0.9, weight_decay=5e-4),
        "sgd_dampening": lambda q: torch.optim.SGD([q], lr=0.05, momentum=0.8, dampening=0.3),
        "sgd_nesterov": lambda q: torch.optim.SGD([q], lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4),
        "adam": lambda q: torch.optim.Adam([q], lr=1e-2, betas=(0.9, 0.99), eps=1e-6, weight_decay=1e-3),
        "adamw": lambda q: torch.optim.AdamW([q], lr=1e-2, weight_decay=0.1),
    }
    out = [("p0", p0), ("grads", grads)]
    for name, make in configs.items():
        q = p0.clone().requires_grad_(True); opt = make(q)
        for k in range(5):
            q.grad = grads[k].clone(); opt.step()
        out.append((name, q.detach().clone()))
    st.save(os.path.join(OUT, "optimizers.safetensors"), out, {"script": "tools/make_parity_fixtures.py"})

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True); resnet32(); resnet18(); optimizers()
    for f in sorted(os.listdir(OUT)): print(f, os.path.getsize(os.path.join(OUT, f)), "bytes")
