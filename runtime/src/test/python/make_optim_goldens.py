#!/usr/bin/python3
"""Golden trajectories of torch.optim and torch.nn.utils.clip_grad_* for rnnc's optimiser tests.

Run with Debian's PyTorch 1.13 (``/usr/bin/python3 runtime/src/test/python/make_optim_goldens.py``); it
rewrites ``runtime/src/test/resources/optim/optim_goldens.safetensors``. The safetensors file is written
here with struct/json (no safetensors package needed): 8-byte little-endian header length, a JSON header
padded with spaces to a multiple of 8, then little-endian F64 data.

All arithmetic runs in float32 exactly as a PyTorch user's training would (CPU, the default single-tensor
optimiser code path); values are stored as F64 so the stored numbers are exactly torch's float32 results.

Tensors (``<p>`` is a parameter name, ``k`` = 1..STEPS):
  init.<p>                   starting parameter values
  grad.<k>.<p>               gradient fed at step k (the same sequence for every optimiser case)
  <case>.step<k>.<p>         parameters after step k
  <case>.state.<key>.<p>     optimiser state after the last step (momentum_buffer / exp_avg / exp_avg_sq)
  <case>.state.step          Adam's step counter after the last step
  clip_norm.<case>.grad.<p>  gradients before clip_grad_norm_; .clipped.<p> after; .total the returned norm
  clip_value.<case>.grad.<p> gradients before clip_grad_value_; .clipped.<p> after
Metadata (all strings):
  params        comma-separated parameter names in order; shape.<p> comma-separated dims
  steps         number of optimiser steps
  case.<case>   "kind=sgd lr=0.1 momentum=0.9 ..." hyper-parameters (Python repr of each float)
  clip_norm.<case>.max_norm, clip_value.<case>.clip_value
"""
import json
import os
import struct

import torch

STEPS = 5
# The state_dict of a GRU (input 3, hidden 2, one layer) with a 2-output linear head, so the Java tests can hold
# these tensors in a ModelParameters built from the matching ModelConfig.
PARAMS = {
    "rnn.weight_ih_l0": [6, 3],
    "rnn.weight_hh_l0": [6, 2],
    "rnn.bias_ih_l0": [6],
    "rnn.bias_hh_l0": [6],
    "head.weight": [2, 2],
    "head.bias": [2],
}

# (name, kind, hyper-parameters); kinds sgd / adam / adamw. Hyper-parameters are given in full so the
# Java side constructs exactly the same optimiser; the *_default cases use torch's defaults.
CASES = [
    ("sgd_plain", "sgd", dict(lr=0.1, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0)),
    ("sgd_momentum", "sgd", dict(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0)),
    ("sgd_dampening", "sgd", dict(lr=0.05, momentum=0.9, dampening=0.3, nesterov=False, weight_decay=0.0)),
    ("sgd_nesterov", "sgd", dict(lr=0.1, momentum=0.8, dampening=0.0, nesterov=True, weight_decay=0.0)),
    ("sgd_weight_decay", "sgd", dict(lr=0.1, momentum=0.5, dampening=0.0, nesterov=False, weight_decay=0.01)),
    ("sgd_weight_decay_only", "sgd", dict(lr=0.2, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.1)),
    ("sgd_nesterov_weight_decay", "sgd", dict(lr=0.05, momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.05)),
    ("adam_default", "adam", dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)),
    ("adam_custom", "adam", dict(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.0)),
    # eps large enough to matter: placing it inside the square root or before the bias correction would show.
    ("adam_large_eps", "adam", dict(lr=0.02, beta1=0.9, beta2=0.999, eps=0.1, weight_decay=0.0)),
    ("adam_weight_decay", "adam", dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1)),
    ("adamw_default", "adamw", dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2)),
    ("adamw_custom", "adamw", dict(lr=0.01, beta1=0.85, beta2=0.995, eps=1e-7, weight_decay=0.1)),
]

# (name, gradient scale, max_norm): one clipped hard, one barely clipped, one left alone (coefficient 1).
CLIP_NORM_CASES = [("large", 10.0, 1.0), ("near", 1.0, 2.5), ("small", 0.01, 5.0)]
CLIP_VALUE_CASES = [("tight", 2.0, 0.5), ("loose", 0.1, 10.0)]


def make_optimizer(kind, params, h):
    if kind == "sgd":
        return torch.optim.SGD(params, lr=h["lr"], momentum=h["momentum"], dampening=h["dampening"],
                               nesterov=h["nesterov"], weight_decay=h["weight_decay"])
    if kind == "adam":
        return torch.optim.Adam(params, lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
                                weight_decay=h["weight_decay"])
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
                                 weight_decay=h["weight_decay"])
    raise ValueError(kind)


def describe(kind, h):
    parts = ["kind=" + kind]
    for key, value in h.items():
        parts.append("%s=%s" % (key, ("1" if value else "0") if isinstance(value, bool) else repr(float(value))))
    return " ".join(parts)


def random_grads(gen, scale):
    return {n: torch.randn(s, generator=gen, dtype=torch.float32) * scale for n, s in PARAMS.items()}


def main():
    gen = torch.Generator().manual_seed(20261101)
    tensors = {}
    metadata = {"params": ",".join(PARAMS), "steps": str(STEPS), "torch": torch.__version__}
    for name, shape in PARAMS.items():
        metadata["shape." + name] = ",".join(map(str, shape))

    init = {n: torch.rand(s, generator=gen, dtype=torch.float32) * 2 - 1 for n, s in PARAMS.items()}
    # Gradient scales vary per step so momentum / second-moment estimates see different magnitudes.
    grads = [random_grads(gen, scale) for scale in (1.0, 0.5, 2.0, 0.1, 1.5)]
    assert len(grads) == STEPS
    for n in PARAMS:
        tensors["init." + n] = init[n]
        for k in range(STEPS):
            tensors["grad.%d.%s" % (k + 1, n)] = grads[k][n]

    for case, kind, h in CASES:
        metadata["case." + case] = describe(kind, h)
        params = {n: torch.nn.Parameter(init[n].clone()) for n in PARAMS}
        opt = make_optimizer(kind, list(params.values()), h)
        for k in range(STEPS):
            for n, p in params.items():
                p.grad = grads[k][n].clone()
            opt.step()
            for n, p in params.items():
                tensors["%s.step%d.%s" % (case, k + 1, n)] = p.detach().clone()
        for n, p in params.items():
            state = opt.state[p]
            for key, value in state.items():
                if key == "step":
                    tensors[case + ".state.step"] = value.detach().clone().reshape([])
                elif value is not None:
                    tensors["%s.state.%s.%s" % (case, key, n)] = value.detach().clone()

    for case, scale, max_norm in CLIP_NORM_CASES:
        metadata["clip_norm.%s.max_norm" % case] = repr(float(max_norm))
        g = random_grads(gen, scale)
        params = {n: torch.nn.Parameter(torch.zeros(s)) for n, s in PARAMS.items()}
        for n, p in params.items():
            p.grad = g[n].clone()
            tensors["clip_norm.%s.grad.%s" % (case, n)] = g[n]
        total = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
        tensors["clip_norm.%s.total" % case] = total.detach().reshape([])
        for n, p in params.items():
            tensors["clip_norm.%s.clipped.%s" % (case, n)] = p.grad.detach().clone()

    for case, scale, clip in CLIP_VALUE_CASES:
        metadata["clip_value.%s.clip_value" % case] = repr(float(clip))
        g = random_grads(gen, scale)
        params = {n: torch.nn.Parameter(torch.zeros(s)) for n, s in PARAMS.items()}
        for n, p in params.items():
            p.grad = g[n].clone()
            tensors["clip_value.%s.grad.%s" % (case, n)] = g[n]
        torch.nn.utils.clip_grad_value_(list(params.values()), clip)
        for n, p in params.items():
            tensors["clip_value.%s.clipped.%s" % (case, n)] = p.grad.detach().clone()

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "optim",
                       "optim_goldens.safetensors")
    write_safetensors(os.path.normpath(out), tensors, metadata)
    print("wrote %d tensors to %s" % (len(tensors), os.path.normpath(out)))


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float64).contiguous()
        values = t.reshape(-1).tolist()
        data = struct.pack("<%dd" % len(values), *values)
        header[name] = {"dtype": "F64", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
