#!/usr/bin/python3
"""Golden tensors for rnnc's encoder-decoder (seq2seq) parity tests, computed by PyTorch.

Regenerate (from the repository root; needs Debian's python3-torch 1.13):

    /usr/bin/python3 compiler/core/src/test/python/make_seq2seq_goldens.py

It rewrites every file in compiler/core/src/test/resources/golden_seq2seq/. Deterministic: each case seeds torch
from a CRC of its name. Everything is computed in float64 from float32-rounded parameters and inputs (as
make_goldens.py does, whose helpers this script imports), so only rnnc's own rounding is measured.

The model is what a PyTorch user writes: a module with attributes ``encoder.embedding`` (nn.Embedding, token
sources only), ``encoder.rnn`` (nn.RNN/GRU/LSTM, batch_first), ``bridge`` (nn.Linear, bridge linear only),
``decoder.embedding``, ``decoder.rnn`` and ``head`` (nn.Linear over the target vocabulary), so the tensors carry the
user's ``state_dict`` names.

- Encoder: pack_padded_sequence(source, source_lengths) through encoder.rnn; s_k = concat over directions of h_n of
  layer k. A reset-before GRU (not in torch) runs as make_goldens.gru_manual's explicit loop, which make_goldens.py
  checks against nn.GRU.
- Bridge copy: h0[k] = s_k; c0[k] = the encoder's c_n of layer k concatenated over directions when both stacks are
  LSTMs, else 0. Bridge linear: h0[k] = tanh(bridge(s_k)), c0 = 0.
- Teacher forcing: decoder inputs embedding([start, target[:, :-1]]) (concatenated with s_last at every step for
  context every_step), packed by target_lengths; logits = head(output), 0 at padded steps; loss = mean
  cross-entropy over valid target steps; loss.backward() gives every parameter's gradient (and the float source's).
- One-to-many (one_to_many_relu_rnn): the source is a single step per sequence.
- Greedy: from start, argmax of the head at each step (batch of one row at a time), stop after emitting end or at
  max_length; positions after the end are 0; lengths count the end token.

Tensors: every parameter; ``source`` (I64 [B,S] or F32 [B,S,I]), ``source_lengths`` I64 [B], ``target`` I64 [B,T]
(random ids at padded steps, which must be ignored), ``target_lengths`` I64 [B]; expected ``logits``,
``prediction`` [B,T,V], ``loss`` [1], ``h_n`` [layers,B,Sd] (and ``c_n``), ``encoder_h_n`` (and ``encoder_c_n``),
``grad.<param>``, ``grad.source`` (float sources), ``greedy_tokens`` I64 [B,max_length], ``greedy_lengths`` I64 [B].
Metadata: ``spec`` (the rnnc YAML spec), ``description``.
"""

import os
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_goldens import f32, gru_manual, read_safetensors, write_safetensors  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden_seq2seq")
RNN = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class Stack(nn.Module):
    def __init__(self, cell, vocab, dim, hidden, layers, bidirectional, nonlinearity=None):
        super().__init__()
        if vocab:
            self.embedding = nn.Embedding(vocab, dim)
        extra = {"nonlinearity": nonlinearity} if nonlinearity else {}
        self.rnn = RNN[cell](dim, hidden, num_layers=layers, bidirectional=bidirectional, batch_first=True, **extra)


class Seq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        e, d = c["encoder"], c["decoder"]
        self.encoder = Stack(e["cell"], e.get("vocab", 0), e["dim"], e["hidden"], e["layers"], e["bidirectional"],
                             e.get("nonlinearity"))
        ctx = (2 if e["bidirectional"] else 1) * e["hidden"]
        if c["bridge"] == "linear":
            self.bridge = nn.Linear(ctx, d["hidden"])
        dec_in = d["dim"] + (ctx if c["context"] == "every_step" else 0)
        self.decoder = Stack(d["cell"], d["vocab"], dec_in, d["hidden"], e["layers"], False)
        self.decoder.embedding = nn.Embedding(d["vocab"], d["dim"])
        self.head = nn.Linear(d["hidden"], d["vocab"])


def encode(model, c, source, source_lengths):
    e = c["encoder"]
    x = model.encoder.embedding(source) if e.get("vocab") else source
    if e.get("gru_reset") == "before":
        nd = 2 if e["bidirectional"] else 1
        h0 = torch.zeros(e["layers"] * nd, x.shape[0], e["hidden"], dtype=torch.float64)
        _, h_n = gru_manual(model.encoder.rnn, x, source_lengths, h0, True)
        return h_n, None
    packed = pack_padded_sequence(x, source_lengths, batch_first=True, enforce_sorted=False)
    _, state = model.encoder.rnn(packed)
    return (state[0], state[1]) if e["cell"] == "lstm" else (state, None)


def summaries(c, h_n):
    """s_k [layers, B, dirs*He]: concat over directions (forward first) of h_n of layer k."""
    nd = 2 if c["encoder"]["bidirectional"] else 1
    L = c["encoder"]["layers"]
    return torch.stack([torch.cat([h_n[k * nd + d] for d in range(nd)], dim=1) for k in range(L)])


def bridge(model, c, enc_h, enc_c):
    s = summaries(c, enc_h)
    L, B = s.shape[0], s.shape[1]
    Hd = c["decoder"]["hidden"]
    if c["bridge"] == "copy":
        h0 = s
        if c["encoder"]["cell"] == "lstm" and c["decoder"]["cell"] == "lstm":
            c0 = summaries(c, enc_c)
        else:
            c0 = torch.zeros(L, B, Hd, dtype=torch.float64)
    else:
        h0 = torch.tanh(model.bridge(s))
        c0 = torch.zeros(L, B, Hd, dtype=torch.float64)
    return s, h0, c0


def decoder_inputs(model, c, tokens, s_last):
    x = model.decoder.embedding(tokens)
    if c["context"] == "every_step":
        x = torch.cat([x, s_last.unsqueeze(1).expand(-1, tokens.shape[1], -1)], dim=2)
    return x


def teacher_force(model, c, source, source_lengths, target, target_lengths):
    enc_h, enc_c = encode(model, c, source, source_lengths)
    s, h0, c0 = bridge(model, c, enc_h, enc_c)
    B, T = target.shape
    prev = torch.cat([torch.full((B, 1), c["start"], dtype=torch.int64), target[:, :-1]], dim=1)
    x = decoder_inputs(model, c, prev, s[-1])
    packed = pack_padded_sequence(x, target_lengths, batch_first=True, enforce_sorted=False)
    state0 = (h0, c0) if c["decoder"]["cell"] == "lstm" else h0
    out, state = model.decoder.rnn(packed, state0)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
    logits = model.head(out)
    valid = torch.arange(T).unsqueeze(0) < target_lengths.unsqueeze(1)
    logits = torch.where(valid.unsqueeze(2), logits, torch.zeros_like(logits))
    loss = F.cross_entropy(logits[valid], target[valid])
    prediction = torch.where(valid.unsqueeze(2), torch.softmax(logits, dim=2), torch.zeros_like(logits))
    dec_h, dec_c = (state[0], state[1]) if c["decoder"]["cell"] == "lstm" else (state, None)
    return logits, prediction, loss, dec_h, dec_c, enc_h, enc_c


@torch.no_grad()
def greedy(model, c, source, source_lengths):
    enc_h, enc_c = encode(model, c, source, source_lengths)
    s, h0, c0 = bridge(model, c, enc_h, enc_c)
    B = source.shape[0]
    M = c["max_decode"]
    tokens = torch.zeros(B, M, dtype=torch.int64)
    lengths = torch.full((B,), M, dtype=torch.int64)
    for b in range(B):
        state = (h0[:, b:b + 1].contiguous(), c0[:, b:b + 1].contiguous()) if c["decoder"]["cell"] == "lstm" \
            else h0[:, b:b + 1].contiguous()
        prev = torch.tensor([[c["start"]]])
        for t in range(M):
            x = decoder_inputs(model, c, prev, s[-1][b:b + 1])
            out, state = model.decoder.rnn(x, state)
            logits = model.head(out[:, 0])
            nxt = int(torch.argmax(logits[0]))
            tokens[b, t] = nxt
            if nxt == c["end"]:
                lengths[b] = t + 1
                break
            prev = torch.tensor([[nxt]])
    return tokens, lengths


def spec_text(c):
    e, d = c["encoder"], c["decoder"]

    def stack(s, decoder):
        lines = ["  cell: %s" % s["cell"]]
        if s.get("nonlinearity"):
            lines.append("  nonlinearity: %s" % s["nonlinearity"])
        if s.get("gru_reset"):
            lines.append("  gru_reset: %s" % s["gru_reset"])
        if s.get("vocab"):
            lines.append("  embedding: {vocab: %d, dim: %d}" % (s["vocab"], s["dim"]))
        else:
            lines.append("  input: %d" % s["dim"])
        lines.append("  hidden: %d" % s["hidden"])
        lines.append("  layers: %d" % e["layers"])
        if not decoder:
            lines.append("  bidirectional: %s" % ("true" if s["bidirectional"] else "false"))
        else:
            lines.append("  bridge: %s" % c["bridge"])
            lines.append("  context: %s" % c["context"])
        return "\n".join(lines)

    return "\n".join([
        "model: %s" % c["model"],
        "package: org.example.golden",
        "encoder:",
        stack(e, False),
        "decoder:",
        stack(d, True),
        "head: {size: %d, activation: softmax}" % d["vocab"],
        "decode: {start: %d, end: %d, max_length: %d}" % (c["start"], c["end"], c["max_decode"]),
        "limits: {max_batch: 8, max_length: 16}",
        "training: {loss: cross_entropy}",
        "",
    ])


def write_case(c):
    torch.manual_seed(zlib.crc32(c["name"].encode()))
    model = Seq2Seq(c).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(f32(p))
        # Larger head and target-embedding weights than the default init make greedy decoding depend on the
        # previous token and the source (varied tokens, some rows reaching the end token), so the greedy goldens
        # test the feedback loop rather than one repeated token.
        model.head.weight.mul_(c["scale"])
        model.head.weight.copy_(f32(model.head.weight))
        model.decoder.embedding.weight.mul_(c["embedding_scale"])
        model.decoder.embedding.weight.copy_(f32(model.decoder.embedding.weight))
    B, S, T = c["batch"], c["source_steps"], c["target_steps"]
    e, d = c["encoder"], c["decoder"]
    if e.get("vocab"):
        source = torch.randint(0, e["vocab"], (B, S))
    else:
        source = f32(torch.randn(B, S, e["dim"], dtype=torch.float64)).requires_grad_(True)
    source_lengths = torch.tensor(c["source_lengths"])
    target = torch.randint(0, d["vocab"], (B, T))
    target_lengths = torch.tensor(c["target_lengths"])
    logits, prediction, loss, dec_h, dec_c, enc_h, enc_c = teacher_force(model, c, source, source_lengths, target,
                                                                         target_lengths)
    loss.backward()
    tensors = {name: p.detach() for name, p in model.state_dict().items()}
    tensors.update({
        "source": source.detach(), "source_lengths": source_lengths, "target": target,
        "target_lengths": target_lengths, "logits": logits.detach(), "prediction": prediction.detach(),
        "loss": loss.detach().reshape(1), "h_n": dec_h.detach(), "encoder_h_n": enc_h.detach(),
    })
    if dec_c is not None:
        tensors["c_n"] = dec_c.detach()
    if enc_c is not None:
        tensors["encoder_c_n"] = enc_c.detach()
    for name, p in model.named_parameters():
        tensors["grad." + name] = p.grad.detach()
    if not e.get("vocab"):
        tensors["grad.source"] = source.grad.detach()
    tokens, lengths = greedy(model, c, source.detach(), source_lengths)
    tensors["greedy_tokens"] = tokens
    tensors["greedy_lengths"] = lengths
    path = os.path.join(OUT_DIR, c["name"] + ".safetensors")
    write_safetensors(path, tensors, {"spec": spec_text(c), "description": c["description"]})
    read_safetensors(path)
    return path, float(loss), tokens.tolist(), lengths.tolist()


CASES = [
    dict(name="gru_bi_copy_tokens", model="GruBiCopy",
         description="bidirectional GRU encoder over token ids, copy bridge into a GRU decoder, context initial",
         encoder=dict(cell="gru", vocab=7, dim=5, hidden=4, layers=1, bidirectional=True),
         decoder=dict(cell="gru", vocab=6, dim=3, hidden=8),
         bridge="copy", context="initial", start=1, end=2, max_decode=6, scale=10.0, embedding_scale=3.0,
         batch=3, source_steps=5, target_steps=4, source_lengths=[5, 2, 3], target_lengths=[4, 1, 3]),
    dict(name="lstm_l2_linear_every_step_features", model="LstmLinearEveryStep",
         description="2-layer bidirectional LSTM encoder over float features, linear bridge, 2-layer LSTM decoder, "
                     "context every_step",
         encoder=dict(cell="lstm", dim=3, hidden=3, layers=2, bidirectional=True),
         decoder=dict(cell="lstm", vocab=7, dim=4, hidden=5),
         bridge="linear", context="every_step", start=0, end=1, max_decode=7, scale=6.0, embedding_scale=1.0,
         batch=3, source_steps=4, target_steps=5, source_lengths=[4, 1, 3], target_lengths=[2, 5, 4]),
    dict(name="gru_before_into_lstm", model="GruBeforeIntoLstm",
         description="reset-before GRU encoder (Cho et al. 2014) over token ids, copy bridge into an LSTM decoder "
                     "(c0 = 0)",
         encoder=dict(cell="gru", gru_reset="before", vocab=6, dim=4, hidden=5, layers=1, bidirectional=False),
         decoder=dict(cell="lstm", vocab=5, dim=3, hidden=5),
         bridge="copy", context="initial", start=3, end=4, max_decode=5, scale=10.0, embedding_scale=3.0,
         batch=2, source_steps=4, target_steps=3, source_lengths=[3, 4], target_lengths=[3, 2]),
    dict(name="lstm_bi_copy_cell_state", model="LstmBiCopy",
         description="bidirectional LSTM encoder over token ids, copy bridge (h and c) into an LSTM decoder, "
                     "context every_step",
         encoder=dict(cell="lstm", vocab=5, dim=3, hidden=3, layers=1, bidirectional=True),
         decoder=dict(cell="lstm", vocab=6, dim=2, hidden=6),
         bridge="copy", context="every_step", start=1, end=0, max_decode=6, scale=6.0, embedding_scale=3.0,
         batch=2, source_steps=3, target_steps=4, source_lengths=[2, 3], target_lengths=[4, 3]),
    dict(name="one_to_many_relu_rnn", model="OneToMany",
         description="one-to-many: a relu RNN encoder over a single feature vector per sequence, copy bridge into "
                     "a GRU decoder that also sees the source vector at every step",
         encoder=dict(cell="rnn", nonlinearity="relu", dim=4, hidden=5, layers=1, bidirectional=False),
         decoder=dict(cell="gru", vocab=6, dim=3, hidden=5),
         bridge="copy", context="every_step", start=0, end=5, max_decode=6, scale=6.0, embedding_scale=3.0,
         batch=3, source_steps=1, target_steps=5, source_lengths=[1, 1, 1], target_lengths=[5, 3, 4]),
]


def main():
    torch.set_default_dtype(torch.float64)
    os.makedirs(OUT_DIR, exist_ok=True)
    for c in CASES:
        path, loss, tokens, lengths = write_case(c)
        print("%-40s loss %.5f greedy %s lengths %s" % (c["name"], loss, tokens, lengths))


if __name__ == "__main__":
    sys.exit(main())
