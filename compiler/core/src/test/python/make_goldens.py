#!/usr/bin/python3
"""Golden tensors for rnnc's parity tests, computed by PyTorch.

Regenerate (from the repository root; needs Debian's python3-torch 1.13, hence /usr/bin/python3 rather than a
pyenv python without torch):

    /usr/bin/python3 compiler/core/src/test/python/make_goldens.py

It rewrites every file in compiler/core/src/test/resources/golden/ (and deletes stale *.safetensors there).
The output is deterministic: each case seeds torch from a CRC of its name.

What a case is
---------------
A model built exactly as a PyTorch user would build it: ``class Model(nn.Module)`` with attributes ``embedding``
(optional nn.Embedding), ``rnn`` (nn.RNN / nn.GRU / nn.LSTM, batch_first=True) and ``head`` (optional nn.Linear),
so parameter names are the user's ``state_dict()`` names. The forward pass is
``pack_padded_sequence(enforce_sorted=False)`` -> rnn -> ``pad_packed_sequence(total_length=T)`` -> head, the
loss is a mean over valid (unpadded) positions, and ``loss.backward()`` gives the gradients.

Everything is computed in float64. Parameters, inputs, initial states and float targets are first rounded to
float32, because that is what the file stores and what rnnc computes from: the expected values are then the
exact (float64) answers for the stored float32 data, so only rnnc's own float32 rounding is measured.

The GRU "reset before" variant (Cho et al. 2014: n = tanh(W_in x + b_in + W_hn (r*h) + b_hn)) is not in torch.
``gru_manual`` implements GRU as an explicit loop over time with the same packed-sequence semantics (each
sequence runs over its own valid steps; the backward direction starts at each sequence's last valid step;
outputs at padded steps are 0). For every reset-after GRU case the script runs that loop with the reset-after
formula as well and asserts it matches nn.GRU (forward, loss and every gradient) to 1e-10, so the loop that
produces the reset-before goldens is trusted.

LSTM peepholes (ONNX's ``P``: ``i = sigmoid(... + P_i*c)``, ``f = sigmoid(... + P_f*c)`` with the previous c,
``o = sigmoid(... + P_o*c')`` with the new c') are not in torch either. ``lstm_manual`` is the same kind of loop for
LSTM, with optional peepholes (parameters ``weight_ph_l{k}[_reverse]`` [3, H], rows i, f, o, added to the nn.LSTM
and drawn uniform(-1/sqrt(H), 1/sqrt(H))) and optional projection. For every LSTM case without peepholes -- plain
and ``proj_size`` > 0 -- the script runs the loop too and asserts it matches nn.LSTM to 1e-10, so the loop that
produces the peephole goldens (with or without a projection) is trusted. LSTM projections themselves
(``nn.LSTM(proj_size=P)``: ``h' = W_hr (o*tanh(c'))``, h and h0 P wide, c and c0 H wide) come from nn.LSTM.

File format
-----------
One safetensors file per case, ``golden/<name>.safetensors``, written here with struct/json (8-byte little-endian
header length, JSON header padded with spaces to a multiple of 8, then the data). ``__metadata__`` (all strings):
``spec`` (the case as an rnnc YAML spec), ``cell`` (rnn|gru|lstm), ``nonlinearity`` (tanh|relu), ``gru_reset``
(after|before), ``input``, ``vocab`` (0 if none), ``hidden``, ``layers``, ``bidirectional`` (true|false),
``mode`` (many_to_many|many_to_one), ``head`` (0 if none), ``head_activation`` (linear|sigmoid|softmax),
``loss`` (cross_entropy|bce|mse|none), ``max_length``, ``max_batch``, ``description``; LSTM variant cases also have
``proj_size`` (P) and/or ``peepholes`` (true) -- absent means 0 / false, so the files of other cases did not change
when the variants were added.

Tensors (F32 unless noted): every parameter under its state_dict name; ``input`` [B,T,I] or I64 token ids [B,T];
``lengths`` I64 [B]; optional ``h0`` [layers*dirs,B,S] and ``c0`` [layers*dirs,B,H] (S = P with a projection, else
H); expected ``output`` [B,T,dirs*S] (0 at padded steps), ``h_n``, ``c_n`` (lstm), ``features`` [B,dirs*S]
(many_to_one), ``logits``/``prediction`` with a head
([B,T,K] many_to_many, 0 at padded steps, or [B,K]). With a loss: ``target`` (I64 class ids [B,T] or [B] for
cross_entropy; F32 shaped like the compared output for bce/mse; arbitrary but valid at padded steps, which must be
ignored), ``loss`` [1], ``grad.<param>`` for every parameter, ``grad.input`` (dense input only; 0 at padded
steps), ``grad.h0`` always (the gradient w.r.t. the zero initial state when no h0 is given, as
TrainableModel.h0Gradient() defines it) and ``grad.c0`` for LSTM likewise.

Inputs at padded steps are random, not zero, so a model that reads them fails.

Cases
-----
``base_cases``: every cell (lstm, gru_after, gru_before, rnn_tanh, rnn_relu) x layers 1-3 x uni/bidirectional,
30 cases, each given one of 11 mode/head/loss variants in rotation (m2m/m2o; no head, linear, sigmoid, softmax
head; cross_entropy, bce, mse, and forward-only), with token (embedding) input in a third of them and a given
h0 (and c0 for LSTM) in about half. ``extra_cases``: edge cases and combinations the rotation misses, named after what
they cover (batch of one, one step, no sequence at full length, all at full length, soft bce targets,
cross-entropy under a linear head, relu with large weights, the largest sizes). ``variant_cases``: LSTM with a
projection (``lstm_proj_*``), with peepholes (``lstm_peep_*``) and with both (``lstm_proj_peep_*``), each over
layers 1-3, uni/bidirectional, both modes, heads and losses, token input and given h0/c0. Every spec is one rnnc accepts
(for example mse never trains a softmax head: rnnc rejects that spec). The case name spells out its configuration: cell, layers, uni/bi, mode, head,
loss, then ``emb`` (token input) and ``h0`` (given initial state).
"""

import json
import math
import os
import struct
import sys
import zlib
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_default_dtype(torch.float64)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "resources", "golden"))

# Limits written into every spec: above every case's B and T, so models run below their capacity and must lay
# results out compactly for the batch and steps actually used.
MAX_LENGTH = 8
MAX_BATCH = 4


@dataclass
class Case:
    name: str
    cell: str                    # rnn | gru | lstm
    nonlinearity: str = "tanh"   # rnn only
    gru_reset: str = "after"     # gru only
    input: int = 3               # features per step (embedding dim with vocab > 0)
    vocab: int = 0
    hidden: int = 5
    layers: int = 1
    bidirectional: bool = False
    mode: str = "many_to_many"
    head: int = 0
    head_activation: str = "linear"
    loss: str = "none"
    batch: int = 3
    steps: int = 5
    lengths: Optional[List[int]] = None   # None: random with one of length 1 and one of full length
    given_h0: bool = False
    soft_targets: bool = False           # bce targets in (0, 1) rather than {0, 1}
    weight_scale: float = 1.0            # multiplies the default init (to exercise relu's unbounded range)
    proj_size: int = 0                   # lstm only: nn.LSTM(proj_size=P), h is P wide
    peepholes: bool = False              # lstm only: ONNX peepholes, run by lstm_manual
    description: str = ""


# ---------------------------------------------------------------------------------------------------------------
# The model, as a user writes it


class Model(nn.Module):
    def __init__(self, c: Case):
        super().__init__()
        self.case = c
        if c.vocab:
            self.embedding = nn.Embedding(c.vocab, c.input)
        rnn_args = dict(input_size=c.input, hidden_size=c.hidden, num_layers=c.layers,
                        bidirectional=c.bidirectional, batch_first=True)
        if c.cell == "lstm":
            if c.proj_size:
                rnn_args["proj_size"] = c.proj_size
            self.rnn = nn.LSTM(**rnn_args)
            if c.peepholes:
                add_peepholes(self.rnn)
        elif c.cell == "gru":
            # For reset-before the nn.GRU only holds the parameters (same names and shapes); gru_manual runs it.
            self.rnn = nn.GRU(**rnn_args)
        else:
            self.rnn = nn.RNN(nonlinearity=c.nonlinearity, **rnn_args)
        if c.head:
            self.head = nn.Linear(dirs(c) * state_size(c), c.head)

    def forward(self, x, lengths, h0, c0, manual=False):
        """Returns (output [B,T,dirs*S], h_n, c_n or None), outputs exactly 0 at padded steps.

        ``manual`` runs GRU and LSTM through the explicit loops (gru_manual, lstm_manual) instead of nn.GRU/nn.LSTM,
        to check the loops against torch; reset-before GRU and peephole LSTM always need them."""
        c = self.case
        if c.vocab:
            x = self.embedding(x)
        if c.cell == "gru" and (manual or c.gru_reset == "before"):
            out, h_n = gru_manual(self.rnn, x, lengths, h0, c.gru_reset == "before")
            return out, h_n, None
        if c.cell == "lstm" and (manual or c.peepholes):
            return lstm_manual(self.rnn, x, lengths, h0, c0, c.peepholes)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        if c.cell == "lstm":
            out, (h_n, c_n) = self.rnn(packed, (h0, c0))
        else:
            out, h_n = self.rnn(packed, h0)
            c_n = None
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out, h_n, c_n


def dirs(c: Case) -> int:
    return 2 if c.bidirectional else 1


def state_size(c: Case) -> int:
    """Width S of h: the projection size P for an LSTM with a projection, else H."""
    return c.proj_size if c.proj_size else c.hidden


def add_peepholes(rnn: nn.LSTM):
    """Adds ``weight_ph_l{k}[_reverse]`` [3, H] (rows i, f, o) to an nn.LSTM, drawn as torch draws the LSTM's own
    parameters (uniform(-1/sqrt(H), 1/sqrt(H)); rnnc initialises them the same way). nn.LSTM itself ignores them;
    lstm_manual reads them."""
    bound = 1.0 / math.sqrt(rnn.hidden_size)
    for layer in range(rnn.num_layers):
        for d in range(2 if rnn.bidirectional else 1):
            name = "weight_ph_l%d%s" % (layer, "_reverse" if d else "")
            rnn.register_parameter(name, nn.Parameter(torch.empty(3, rnn.hidden_size).uniform_(-bound, bound)))


def lstm_manual(rnn: nn.LSTM, x, lengths, h0, c0, peepholes: bool):
    """LSTM over a padded batch with packed-sequence semantics, as an explicit loop in torch autograd.

    The same masking as gru_manual: at invalid steps h and c are carried unchanged and the output is 0. With
    ``peepholes`` (ONNX's P, here ``weight_ph`` rows i, f, o): ``i = sigmoid(... + P_i*c)``, ``f = sigmoid(... +
    P_f*c)`` with the previous c, ``c' = f*c + i*g``, ``o = sigmoid(... + P_o*c')`` with the new c'. With a projection
    (``rnn.proj_size`` > 0): ``h' = W_hr (o*tanh(c'))``, as nn.LSTM(proj_size=P). Returns (output, h_n, c_n).
    """
    B, T, _ = x.shape
    H, P = rnn.hidden_size, rnn.proj_size
    S = P if P else H
    nd = 2 if rnn.bidirectional else 1
    valid = torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)  # [B, T]
    zeros = torch.zeros(B, S)
    layer_in = x
    h_n, c_n = [], []
    for layer in range(rnn.num_layers):
        outs = []
        for d in range(nd):
            sfx = "_l%d%s" % (layer, "_reverse" if d else "")
            w_ih, w_hh = getattr(rnn, "weight_ih" + sfx), getattr(rnn, "weight_hh" + sfx)
            b_ih, b_hh = getattr(rnn, "bias_ih" + sfx), getattr(rnn, "bias_hh" + sfx)
            w_hr = getattr(rnn, "weight_hr" + sfx) if P else None
            w_ph = getattr(rnn, "weight_ph" + sfx) if peepholes else None
            h, cell = h0[layer * nd + d], c0[layer * nd + d]
            step_out = [None] * T
            for t in (range(T) if d == 0 else reversed(range(T))):
                a_i, a_f, a_g, a_o = (layer_in[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=1)
                if w_ph is not None:
                    a_i = a_i + w_ph[0] * cell
                    a_f = a_f + w_ph[1] * cell
                i, f, g = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g)
                cell_new = f * cell + i * g
                if w_ph is not None:
                    a_o = a_o + w_ph[2] * cell_new
                h_new = torch.sigmoid(a_o) * torch.tanh(cell_new)
                if w_hr is not None:
                    h_new = h_new @ w_hr.T
                m = valid[:, t:t + 1]
                h = torch.where(m, h_new, h)
                cell = torch.where(m, cell_new, cell)
                step_out[t] = torch.where(m, h_new, zeros)
            outs.append(torch.stack(step_out, dim=1))
            h_n.append(h)
            c_n.append(cell)
        layer_in = torch.cat(outs, dim=2)
    return layer_in, torch.stack(h_n), torch.stack(c_n)


def gru_manual(rnn: nn.GRU, x, lengths, h0, reset_before: bool):
    """GRU over a padded batch with packed-sequence semantics, as an explicit loop in torch autograd.

    A step t of sequence b is valid when t < lengths[b]; at invalid steps the state is carried unchanged and the
    output is 0. Running the backward direction from T-1 down to 0 with that rule starts it at each sequence's own
    last valid step from h0, exactly as a packed sequence does.
    """
    B, T, _ = x.shape
    H = rnn.hidden_size
    nd = 2 if rnn.bidirectional else 1
    valid = torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)  # [B, T]
    zeros = torch.zeros(B, H)
    layer_in = x
    h_n = []
    for layer in range(rnn.num_layers):
        outs = []
        for d in range(nd):
            sfx = "_l%d%s" % (layer, "_reverse" if d else "")
            w_ih, w_hh = getattr(rnn, "weight_ih" + sfx), getattr(rnn, "weight_hh" + sfx)
            b_ih, b_hh = getattr(rnn, "bias_ih" + sfx), getattr(rnn, "bias_hh" + sfx)
            h = h0[layer * nd + d]
            step_out = [None] * T
            for t in (range(T) if d == 0 else reversed(range(T))):
                i_r, i_z, i_n = (layer_in[:, t] @ w_ih.T + b_ih).chunk(3, dim=1)
                if reset_before:
                    h_r, h_z = (h @ w_hh[:2 * H].T + b_hh[:2 * H]).chunk(2, dim=1)
                    r = torch.sigmoid(i_r + h_r)
                    z = torch.sigmoid(i_z + h_z)
                    n = torch.tanh(i_n + (r * h) @ w_hh[2 * H:].T + b_hh[2 * H:])
                else:
                    h_r, h_z, h_n_ = (h @ w_hh.T + b_hh).chunk(3, dim=1)
                    r = torch.sigmoid(i_r + h_r)
                    z = torch.sigmoid(i_z + h_z)
                    n = torch.tanh(i_n + r * h_n_)
                h_new = (1 - z) * n + z * h
                m = valid[:, t:t + 1]
                h = torch.where(m, h_new, h)
                step_out[t] = torch.where(m, h_new, zeros)
            outs.append(torch.stack(step_out, dim=1))
            h_n.append(h)
        layer_in = torch.cat(outs, dim=2)
    return layer_in, torch.stack(h_n)


# ---------------------------------------------------------------------------------------------------------------
# Running a case


def f32(t: torch.Tensor) -> torch.Tensor:
    """Rounds to float32 and back, so the float64 computation starts from exactly the stored values."""
    return t.float().double()


def make_lengths(c: Case, gen: torch.Generator) -> List[int]:
    if c.lengths is not None:
        assert len(c.lengths) == c.batch and all(1 <= n <= c.steps for n in c.lengths)
        return list(c.lengths)
    if c.batch == 1:
        return [c.steps]
    lengths = [1, c.steps] + [int(torch.randint(1, c.steps + 1, (1,), generator=gen)) for _ in range(c.batch - 2)]
    order = torch.randperm(c.batch, generator=gen).tolist()  # unsorted, so enforce_sorted=False matters
    return [lengths[i] for i in order]


def run(c: Case, manual=False):
    """Builds the model and data from the case's seed and runs forward (+ loss and backward). Returns tensors."""
    seed = zlib.crc32(c.name.encode())
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = Model(c)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(f32(p * c.weight_scale))
    B, T, H, nd = c.batch, c.steps, c.hidden, dirs(c)
    lengths_list = make_lengths(c, gen)
    lengths = torch.tensor(lengths_list, dtype=torch.int64)
    valid = torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)  # [B, T]

    if c.vocab:
        x = torch.randint(0, c.vocab, (B, T), generator=gen)
    else:
        x = f32(torch.randn(B, T, c.input, generator=gen)).requires_grad_(True)
    state_shape = (c.layers * nd, B, state_size(c))   # h0; c0 is H wide
    h0 = f32(torch.randn(*state_shape, generator=gen) * 0.5) if c.given_h0 else torch.zeros(*state_shape)
    h0.requires_grad_(True)
    c0 = None
    if c.cell == "lstm":
        cell_shape = (c.layers * nd, B, H)
        c0 = f32(torch.randn(*cell_shape, generator=gen) * 0.5) if c.given_h0 else torch.zeros(*cell_shape)
        c0.requires_grad_(True)

    out, h_n, c_n = model(x, lengths, h0, c0, manual=manual)
    assert torch.all(out[~valid] == 0), "output must be exactly 0 at padded steps"
    res = {"output": out, "h_n": h_n}
    if c_n is not None:
        res["c_n"] = c_n

    # many_to_one features: the last layer's final states, forward then backward.
    last = (c.layers - 1) * nd
    feats = torch.cat([h_n[last + d] for d in range(nd)], dim=1) if c.mode == "many_to_one" else None
    if feats is not None:
        res["features"] = feats
    compared = feats if feats is not None else out
    logits = pred = None
    if c.head:
        logits = model.head(compared)
        if c.head_activation == "sigmoid":
            pred = torch.sigmoid(logits)
        elif c.head_activation == "softmax":
            pred = torch.softmax(logits, dim=-1)
        else:
            pred = logits
        if c.mode == "many_to_many":
            # rnnc's contract: logits (and predictions) are 0 at padded steps, where PyTorch would give head(0).
            keep = valid.unsqueeze(2)
            res["logits"] = torch.where(keep, logits, torch.zeros(()))
            res["prediction"] = torch.where(keep, pred, torch.zeros(()))
        else:
            res["logits"], res["prediction"] = logits, pred

    inputs = {"lengths": lengths, "input": x}
    if c.given_h0:
        inputs["h0"] = h0
        if c0 is not None:
            inputs["c0"] = c0

    if c.loss != "none":
        K = c.head if c.head else nd * state_size(c)
        lead = (B, T) if c.mode == "many_to_many" else (B,)
        sel = valid if c.mode == "many_to_many" else torch.ones(B, dtype=torch.bool)
        if c.loss == "cross_entropy":
            assert c.head, "cross_entropy needs a head"
            target = torch.randint(0, c.head, lead, generator=gen)
            loss = F.cross_entropy(logits[sel], target[sel])
        elif c.loss == "bce":
            assert c.head, "bce needs a head"
            if c.soft_targets:
                target = f32(torch.rand(*lead, K, generator=gen))
            else:
                target = torch.bernoulli(torch.full((*lead, K), 0.5), generator=gen)
            n = int(sel.sum())
            loss = F.binary_cross_entropy_with_logits(logits[sel], target[sel], reduction="sum") / (n * K)
        else:
            target = f32(torch.randn(*lead, K, generator=gen))
            n = int(sel.sum())
            value = pred if c.head else compared
            loss = ((value[sel] - target[sel]) ** 2).sum() / (n * K)
        assert loss.item() > 1e-3, "loss should be nontrivial"
        loss.backward()
        res["loss"] = loss.reshape(1)
        inputs["target"] = target
        for name, p in model.named_parameters():
            assert p.grad is not None, name
            res["grad." + name] = p.grad
        if not c.vocab:
            assert torch.all(x.grad[~valid] == 0), "input gradient must be 0 at padded steps"
            res["grad.input"] = x.grad
        res["grad.h0"] = h0.grad
        if c0 is not None:
            res["grad.c0"] = c0.grad
    params = {name: p for name, p in model.state_dict().items()}
    return params, inputs, res


def check_manual(c: Case):
    """The manual loops must reproduce torch: gru_manual with the reset-after formula nn.GRU, lstm_manual without
    peepholes nn.LSTM (with and without a projection). This is what makes the reset-before and peephole goldens,
    which only the loops can compute, trusted."""
    _, _, by_torch = run(c)
    _, _, by_loop = run(c, manual=True)
    assert by_torch.keys() == by_loop.keys()
    for key in by_torch:
        a, b = by_torch[key].detach(), by_loop[key].detach()
        err = (a - b).abs().max().item()
        assert err < 1e-10, "manual %s loop disagrees with torch on %s of %s: %g" % (c.cell, key, c.name, err)


# ---------------------------------------------------------------------------------------------------------------
# Writing


def spec_text(c: Case) -> str:
    lines = ["model: %s" % java_name(c.name), "package: golden.cases", "cell: %s" % c.cell]
    if c.cell == "rnn":
        lines.append("nonlinearity: %s" % c.nonlinearity)
    if c.cell == "gru":
        lines.append("gru_reset: %s" % c.gru_reset)
    if c.proj_size:
        lines.append("proj_size: %d" % c.proj_size)
    if c.peepholes:
        lines.append("peepholes: true")
    if c.vocab:
        lines.append("embedding: {vocab: %d, dim: %d}" % (c.vocab, c.input))
    else:
        lines.append("input: %d" % c.input)
    lines += ["hidden: %d" % c.hidden, "layers: %d" % c.layers,
              "bidirectional: %s" % ("true" if c.bidirectional else "false"), "mode: %s" % c.mode]
    if c.head:
        lines.append("head: {size: %d, activation: %s}" % (c.head, c.head_activation))
    if c.loss != "none":
        lines.append("training: {loss: %s}" % c.loss)
    lines.append("limits: {max_length: %d, max_batch: %d}" % (MAX_LENGTH, MAX_BATCH))
    return "\n".join(lines) + "\n"


def java_name(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def metadata(c: Case) -> dict:
    meta = {
        "spec": spec_text(c),
        "description": c.description,
        "cell": c.cell,
        "nonlinearity": c.nonlinearity,
        "gru_reset": c.gru_reset,
        "input": str(c.input),
        "vocab": str(c.vocab),
        "hidden": str(c.hidden),
        "layers": str(c.layers),
        "bidirectional": "true" if c.bidirectional else "false",
        "mode": c.mode,
        "head": str(c.head),
        "head_activation": c.head_activation,
        "loss": c.loss,
        "max_length": str(MAX_LENGTH),
        "max_batch": str(MAX_BATCH),
    }
    # Only LSTM variant cases carry these keys (absent means 0 / false), so the files of the other cases stay
    # byte-identical to what they were before the variants existed.
    if c.proj_size:
        meta["proj_size"] = str(c.proj_size)
    if c.peepholes:
        meta["peepholes"] = "true"
    return meta


def write_safetensors(path: str, tensors: dict, meta: dict):
    header = {"__metadata__": meta}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach()
        if t.dtype in (torch.int64, torch.int32, torch.bool):
            dtype, data = "I64", t.numpy().astype("<i8").tobytes()
        else:
            dtype, data = "F32", t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for data in blobs:
            f.write(data)


def read_safetensors(path: str):
    """Reads a file back (used to check what was just written)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__")
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        np_type = "<f4" if e["dtype"] == "F32" else "<i8"
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np_type).reshape(e["shape"])
    return out, meta


def write_case(c: Case):
    if (c.cell == "gru" and c.gru_reset == "after") or (c.cell == "lstm" and not c.peepholes):
        check_manual(c)
    params, inputs, res = run(c)
    tensors = {}
    tensors.update(params)
    tensors.update(inputs)
    tensors.update(res)
    for name, t in tensors.items():
        if t.is_floating_point():
            assert torch.isfinite(t).all(), "%s: %s is not finite" % (c.name, name)
    path = os.path.join(OUT_DIR, c.name + ".safetensors")
    write_safetensors(path, tensors, metadata(c))
    back, meta = read_safetensors(path)
    assert meta == metadata(c) and back.keys() == tensors.keys()
    for name, t in tensors.items():
        assert np.array_equal(back[name], t.detach().numpy().astype(back[name].dtype)), name
    return os.path.getsize(path)


# ---------------------------------------------------------------------------------------------------------------
# The cases

CELLS = [
    ("lstm", dict(cell="lstm")),
    ("gru_after", dict(cell="gru", gru_reset="after")),
    ("gru_before", dict(cell="gru", gru_reset="before")),
    ("rnn_tanh", dict(cell="rnn", nonlinearity="tanh")),
    ("rnn_relu", dict(cell="rnn", nonlinearity="relu")),
]

# (short name, mode, head size, head activation, loss)
VARIANTS = [
    ("m2m_nohead_mse", "many_to_many", 0, "linear", "mse"),
    ("m2m_softmax_ce", "many_to_many", 3, "softmax", "cross_entropy"),
    ("m2o_softmax_ce", "many_to_one", 4, "softmax", "cross_entropy"),
    ("m2o_sigmoid_bce", "many_to_one", 2, "sigmoid", "bce"),
    ("m2m_sigmoid_bce", "many_to_many", 3, "sigmoid", "bce"),
    ("m2o_nohead_mse", "many_to_one", 0, "linear", "mse"),
    ("m2m_linear_mse", "many_to_many", 2, "linear", "mse"),
    ("m2o_linear_mse", "many_to_one", 3, "linear", "mse"),
    ("m2m_sigmoid_mse", "many_to_many", 4, "sigmoid", "mse"),
    ("m2o_linear_fwd", "many_to_one", 3, "linear", "none"),
    ("m2m_nohead_fwd", "many_to_many", 0, "linear", "none"),
]

INPUTS = [2, 3, 4, 5, 6]
HIDDENS = [3, 4, 5, 6, 7]


def base_cases() -> List[Case]:
    cases = []
    index = 0
    for ci, (cell_name, cell_args) in enumerate(CELLS):
        for layers in (1, 2, 3):
            for bi in (False, True):
                short, mode, head, act, loss = VARIANTS[(ci * 3 + index) % len(VARIANTS)]
                emb = (index + ci) % 3 == 0
                given_h0 = (index + ci) % 2 == 1
                name = "%s_l%d_%s_%s%s%s" % (cell_name, layers, "bi" if bi else "uni", short,
                                             "_emb" if emb else "", "_h0" if given_h0 else "")
                cases.append(Case(
                    name=name, layers=layers, bidirectional=bi, mode=mode, head=head, head_activation=act,
                    loss=loss, input=INPUTS[(index * 2) % 5], vocab=7 + index % 5 if emb else 0,
                    hidden=HIDDENS[(index + ci) % 5] if layers < 3 or not bi else 3 + index % 3,
                    batch=2 + index % 3, steps=3 + (index * 3) % 5, given_h0=given_h0,
                    description="%s, %d layer(s), %s, %s%s%s" % (
                        cell_name, layers, "bidirectional" if bi else "unidirectional", short,
                        ", token input" if emb else "", ", given initial state" if given_h0 else ""),
                    **cell_args))
                index += 1
    return cases


def extra_cases() -> List[Case]:
    return [
        Case(name="lstm_l1_uni_batch1_m2m_softmax_ce", cell="lstm", batch=1, steps=6, head=3,
             head_activation="softmax", loss="cross_entropy", description="a batch of one sequence"),
        Case(name="gru_before_l2_bi_steps1_m2o_sigmoid_bce", cell="gru", gru_reset="before", layers=2,
             bidirectional=True, batch=3, steps=1, mode="many_to_one", head=2, head_activation="sigmoid",
             loss="bce", description="a single time step: forward and backward directions see the same step"),
        Case(name="lstm_l2_bi_noneful_m2m_linear_mse_h0", cell="lstm", layers=2, bidirectional=True, batch=3,
             steps=7, lengths=[4, 1, 6], head=2, loss="mse", given_h0=True,
             description="no sequence reaches the padded length T"),
        Case(name="gru_after_l1_bi_allfull_m2m_nohead_mse", cell="gru", bidirectional=True, batch=4, steps=5,
             lengths=[5, 5, 5, 5], loss="mse", description="every sequence at full length"),
        Case(name="gru_before_l1_uni_allfull_m2o_softmax_ce_h0", cell="gru", gru_reset="before", batch=4,
             steps=4, lengths=[4, 4, 4, 4], mode="many_to_one", head=3, head_activation="softmax",
             loss="cross_entropy", given_h0=True, description="reset-before GRU, full lengths, given h0"),
        Case(name="rnn_tanh_l2_bi_softbce_m2m_sigmoid_bce_emb", cell="rnn", layers=2, bidirectional=True,
             vocab=9, input=4, batch=4, steps=6, head=3, head_activation="sigmoid", loss="bce",
             soft_targets=True, description="bce with soft targets in (0,1), token input"),
        Case(name="rnn_relu_l3_uni_large_m2m_linear_mse_h0", cell="rnn", nonlinearity="relu", layers=3,
             batch=3, steps=7, input=5, hidden=9, head=3, loss="mse", given_h0=True, weight_scale=2.5,
             description="relu with weights 2.5x the default init: large activations, relu's dead units"),
        Case(name="lstm_l3_bi_large_m2o_softmax_ce_emb_h0", cell="lstm", layers=3, bidirectional=True,
             vocab=13, input=6, hidden=9, batch=4, steps=7, mode="many_to_one", head=5,
             head_activation="softmax", loss="cross_entropy", given_h0=True,
             description="the largest sizes: 3 bidirectional LSTM layers of 9, token input, given h0 and c0"),
        Case(name="gru_before_l3_bi_large_m2m_softmax_ce_h0", cell="gru", gru_reset="before", layers=3,
             bidirectional=True, input=5, hidden=9, batch=4, steps=7, head=4, head_activation="softmax",
             loss="cross_entropy", given_h0=True, description="reset-before GRU at the largest sizes"),
        Case(name="gru_after_l2_uni_m2o_nohead_mse_emb_h0", cell="gru", layers=2, vocab=6, input=3, hidden=5,
             batch=3, steps=5, mode="many_to_one", loss="mse", given_h0=True,
             description="mse on features without head, token input, given h0"),
        Case(name="rnn_relu_l2_bi_m2o_softmax_ce_h0", cell="rnn", nonlinearity="relu", layers=2,
             bidirectional=True, input=4, hidden=6, batch=4, steps=6, mode="many_to_one", head=3,
             head_activation="softmax", loss="cross_entropy", given_h0=True,
             description="relu, bidirectional many-to-one classification from a given h0"),
        Case(name="gru_after_l2_bi_m2m_sigmoid_bce_h0", cell="gru", layers=2, bidirectional=True, input=3,
             hidden=4, batch=3, steps=6, head=2, head_activation="sigmoid", loss="bce", given_h0=True,
             description="torch GRU, bidirectional per-step multi-label, given h0"),
        Case(name="gru_before_l2_uni_m2m_linear_ce", cell="gru", gru_reset="before", layers=2, input=2,
             hidden=5, batch=4, steps=5, head=3, head_activation="linear", loss="cross_entropy",
             description="cross-entropy scores the logits whatever the head activation (prediction = logits)"),
        Case(name="rnn_tanh_l3_bi_m2o_sigmoid_mse_emb_h0", cell="rnn", layers=3, bidirectional=True, vocab=8,
             input=3, hidden=4, batch=3, steps=5, mode="many_to_one", head=2, head_activation="sigmoid",
             loss="mse", given_h0=True, description="mse through a sigmoid prediction, token input, given h0"),
        Case(name="lstm_l1_uni_m2m_linear_fwd_emb", cell="lstm", vocab=10, input=4, hidden=7, batch=4, steps=7,
             head=3, description="forward only, token input, per-step linear head"),
        Case(name="rnn_tanh_l1_uni_m2m_softmax_fwd", cell="rnn", batch=2, steps=4, head=4,
             head_activation="softmax", description="forward only, softmax prediction per step"),
        Case(name="lstm_l1_bi_m2o_sigmoid_fwd_h0", cell="lstm", bidirectional=True, batch=3, steps=5,
             mode="many_to_one", head=2, head_activation="sigmoid", given_h0=True,
             description="forward only, many-to-one with sigmoid head, given h0 and c0"),
    ]


def variant_cases() -> List[Case]:
    """LSTM with a projection (nn.LSTM(proj_size=P)), with ONNX peepholes (lstm_manual), and both at once."""
    return [
        Case(name="lstm_proj_l1_uni_m2m_softmax_ce_h0", cell="lstm", proj_size=3, input=3, hidden=5, batch=3,
             steps=5, head=3, head_activation="softmax", loss="cross_entropy", given_h0=True,
             description="projection 5 -> 3, per-step classification, given h0 [1,B,3] and c0 [1,B,5]"),
        Case(name="lstm_proj_l2_bi_m2m_nohead_mse", cell="lstm", proj_size=2, layers=2, bidirectional=True,
             input=3, hidden=4, batch=3, steps=6, loss="mse",
             description="projection 4 -> 2, 2 bidirectional layers (layer 1 reads 2*2), mse on the output"),
        Case(name="lstm_proj_l3_bi_m2o_sigmoid_bce_emb_h0", cell="lstm", proj_size=4, layers=3, bidirectional=True,
             vocab=9, input=4, hidden=6, batch=4, steps=7, mode="many_to_one", head=2, head_activation="sigmoid",
             loss="bce", given_h0=True,
             description="projection 6 -> 4, 3 bidirectional layers, token input, many-to-one features 2*4"),
        Case(name="lstm_proj_l2_uni_m2o_nohead_mse_h0", cell="lstm", proj_size=1, layers=2, input=4, hidden=5,
             batch=3, steps=5, mode="many_to_one", loss="mse", given_h0=True,
             description="projection to a single value, mse on many-to-one features without head"),
        Case(name="lstm_proj_l2_uni_noneful_m2m_linear_mse_h0", cell="lstm", proj_size=3, layers=2, input=2,
             hidden=7, batch=3, steps=7, lengths=[5, 1, 3], head=2, loss="mse", given_h0=True,
             description="projection 7 -> 3, no sequence reaches the padded length"),
        Case(name="lstm_proj_l1_bi_m2m_linear_fwd_emb", cell="lstm", proj_size=2, bidirectional=True, vocab=8,
             input=3, hidden=4, batch=4, steps=6, head=3,
             description="projection, forward only, bidirectional, token input, per-step linear head"),
        Case(name="lstm_peep_l1_uni_m2m_softmax_ce_h0", cell="lstm", peepholes=True, input=3, hidden=5, batch=3,
             steps=5, head=3, head_activation="softmax", loss="cross_entropy", given_h0=True,
             description="peepholes, per-step classification, given h0 and c0 (the peepholes read c0)"),
        Case(name="lstm_peep_l2_bi_m2m_nohead_mse", cell="lstm", peepholes=True, layers=2, bidirectional=True,
             input=3, hidden=4, batch=3, steps=6, loss="mse",
             description="peepholes, 2 bidirectional layers, mse on the output"),
        Case(name="lstm_peep_l3_uni_m2o_sigmoid_bce_emb_h0", cell="lstm", peepholes=True, layers=3, vocab=9,
             input=4, hidden=6, batch=4, steps=7, mode="many_to_one", head=2, head_activation="sigmoid",
             loss="bce", given_h0=True, description="peepholes, 3 layers, token input, many-to-one"),
        Case(name="lstm_peep_l1_bi_m2o_linear_mse_h0", cell="lstm", peepholes=True, bidirectional=True, input=4,
             hidden=5, batch=4, steps=6, mode="many_to_one", head=3, loss="mse", given_h0=True,
             description="peepholes, bidirectional many-to-one regression, given h0 and c0"),
        Case(name="lstm_peep_l2_uni_m2m_sigmoid_fwd_emb", cell="lstm", peepholes=True, layers=2, vocab=7, input=3,
             hidden=4, batch=3, steps=5, head=2, head_activation="sigmoid",
             description="peepholes, forward only, token input"),
        Case(name="lstm_proj_peep_l2_bi_m2m_linear_mse_h0", cell="lstm", proj_size=3, peepholes=True, layers=2,
             bidirectional=True, input=3, hidden=5, batch=3, steps=6, head=2, loss="mse", given_h0=True,
             description="projection 5 -> 3 and peepholes together, 2 bidirectional layers"),
        Case(name="lstm_proj_peep_l1_uni_m2o_softmax_ce_emb", cell="lstm", proj_size=2, peepholes=True, vocab=6,
             input=3, hidden=4, batch=4, steps=5, mode="many_to_one", head=3, head_activation="softmax",
             loss="cross_entropy", description="projection and peepholes, token input, many-to-one classification"),
    ]


def main():
    cases = base_cases() + extra_cases() + variant_cases()
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), "duplicate case names"
    os.makedirs(OUT_DIR, exist_ok=True)
    for old in os.listdir(OUT_DIR):
        if old.endswith(".safetensors") and old[:-len(".safetensors")] not in names:
            os.remove(os.path.join(OUT_DIR, old))
    total = 0
    for c in cases:
        size = write_case(c)
        total += size
        print("%-50s %7d bytes  %s" % (c.name, size, c.description))
    print("%d cases, %d bytes in %s" % (len(cases), total, OUT_DIR))


if __name__ == "__main__":
    sys.exit(main())
