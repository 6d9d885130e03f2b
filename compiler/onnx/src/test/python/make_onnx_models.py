#!/usr/bin/python3
"""Makes the ONNX files rnnc-onnx's tests import and compare with ONNX Runtime.

Run with Debian's python3 (python3-torch 1.13, python3-onnx 1.12):

    /usr/bin/python3 compiler/onnx/src/test/python/make_onnx_models.py

Writes compiler/onnx/src/test/resources/onnx/*.onnx (committed; the tests need no Python):

* torch.onnx.export of nn.LSTM / nn.GRU / nn.RNN stacks as real users export them (batch_first, dynamic batch
  and time axes), with linear / softmax / sigmoid heads, many-to-many and many-to-one (via h_n);
* single-node graphs built with onnx.helper for what torch never emits: LSTM peepholes, GRU
  linear_before_reset=0, sequence_lens, initial_h/initial_c graph inputs, layout=1, external data;
* small broken files for the error tests (cycle, missing initializer, unsupported ops and attributes,
  external data outside the model's directory).

The expected outputs are not stored: each test runs the same file through ONNX Runtime.
"""
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "onnx")
INPUT, HIDDEN, HEAD = 5, 4, 3


class Stack(nn.Module):
    """embedding? -> rnn -> head? as the rnnc spec describes it; many_to_one uses h_n of the last layer."""

    def __init__(self, cell, layers=1, bidirectional=False, head=None, activation=None, many_to_one=False,
                 vocab=0, nonlinearity="tanh"):
        super().__init__()
        self.embedding = nn.Embedding(vocab, INPUT) if vocab else None
        kwargs = dict(nonlinearity=nonlinearity) if cell == "RNN" else {}
        self.rnn = getattr(nn, cell)(INPUT, HIDDEN, num_layers=layers, bidirectional=bidirectional,
                                     batch_first=True, **kwargs)
        dirs = 2 if bidirectional else 1
        self.head = nn.Linear(dirs * HIDDEN, head) if head else None
        self.activation = activation
        self.many_to_one = many_to_one
        self.dirs = dirs

    def forward(self, x):
        if self.embedding is not None:
            x = self.embedding(x)
        y, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state
        if self.many_to_one:
            y = torch.cat([h[-2], h[-1]], dim=1) if self.dirs == 2 else h[-1]
        if self.head is None:
            return (y,) + (tuple(state) if isinstance(state, tuple) else (state,))
        y = self.head(y)
        if self.activation == "softmax":
            y = torch.softmax(y, dim=-1)
        elif self.activation == "sigmoid":
            y = torch.sigmoid(y)
        return y


class LastStep(nn.Module):
    """many-to-one the way many users write it: the head on y[:, -1] (the final state of a forward stack)."""

    def __init__(self, cell, layers, bidirectional=False):
        super().__init__()
        self.rnn = getattr(nn, cell)(INPUT, HIDDEN, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(HIDDEN * (2 if bidirectional else 1), HEAD)
        self.many_to_one = True
        self.embedding = None

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[:, -1])


class WithStates(nn.Module):
    """A stack fed its initial states as inputs (time-major, as nn.GRU/nn.LSTM default to)."""

    def __init__(self, cell, layers, bidirectional):
        super().__init__()
        self.rnn = getattr(nn, cell)(INPUT, HIDDEN, num_layers=layers, bidirectional=bidirectional)
        self.cell = cell

    def forward(self, x, h0, c0=None):
        if self.cell == "LSTM":
            y, (h, c) = self.rnn(x, (h0, c0))
            return y, h, c
        y, h = self.rnn(x, h0)
        return y, h


def export_with_states(name, module, opset=14):
    module.eval()
    dirs = 2 if module.rnn.bidirectional else 1
    rows = module.rnn.num_layers * dirs
    args = [torch.randn(3, 2, INPUT), torch.randn(rows, 2, HIDDEN)]
    names = ["x", "h0"]
    if module.cell == "LSTM":
        args.append(torch.randn(rows, 2, HIDDEN))
        names.append("c0")
    outputs = ["y", "h_n"] + (["c_n"] if module.cell == "LSTM" else [])
    axes = {"x": {0: "time", 1: "batch"}, "y": {0: "time", 1: "batch"}}
    for n in names[1:] + outputs[1:]:
        axes[n] = {1: "batch"}
    torch.onnx.export(module, tuple(args), os.path.join(OUT, name + ".onnx"), input_names=names, output_names=outputs,
                      dynamic_axes=axes, opset_version=opset)


def export(name, module, opset=14, tokens=False, dynamic=True):
    module.eval()
    if tokens:
        example = torch.randint(0, module.embedding.num_embeddings, (2, 3))
    else:
        example = torch.randn(2, 3, INPUT)
    with torch.no_grad():
        outputs = module(example)
    count = len(outputs) if isinstance(outputs, tuple) else 1
    names = ["y", "h_n", "c_n"][:count] if count > 1 else ["y"]
    axes = {"x": {0: "batch", 1: "time"}}
    for n in names:
        axes[n] = {0: "batch", 1: "time"} if n == "y" and not module.many_to_one else {1: "batch"} if n != "y" else {0: "batch"}
    torch.onnx.export(module, example, os.path.join(OUT, name + ".onnx"), input_names=["x"], output_names=names,
                      dynamic_axes=axes if dynamic else None, opset_version=opset)


def rand(*shape, scale=0.5):
    return (RNG.uniform(-scale, scale, size=shape)).astype(np.float32)


def single_node(name, op, dirs, gates, attrs, inputs=("W", "R", "B"), opset=14, layout=0, peepholes=False,
                extra_graph_inputs=(), external=False, batch="batch", time="time"):
    """One recurrent node whose X (and optional sequence_lens / initial states) are graph inputs.

    ONNX Runtime's CPU kernels refuse layout=1, so a layout-1 model also gets a layout-0 twin with the same
    weights (NAME_twin.onnx) that the tests run through ONNX Runtime instead.
    """
    weights = (rand(dirs, gates * HIDDEN, INPUT), rand(dirs, gates * HIDDEN, HIDDEN), rand(dirs, 2 * gates * HIDDEN),
               rand(dirs, 3 * HIDDEN))
    build(name, op, dirs, attrs, inputs, opset, layout, peepholes, extra_graph_inputs, external, batch, time, weights)
    if layout == 1:
        build(name + "_twin", op, dirs, attrs, inputs, opset, 0, peepholes, extra_graph_inputs, external, batch, time,
              weights)


def build(name, op, dirs, attrs, inputs, opset, layout, peepholes, extra_graph_inputs, external, batch, time, weights):
    w, r, b, p = weights
    initializers = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(r, "R")]
    if "B" in inputs:
        initializers.append(numpy_helper.from_array(b, "B"))
    x_shape = [time, batch, INPUT] if layout == 0 else [batch, time, INPUT]
    graph_inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
    node_inputs = ["X", "W", "R", "B" if "B" in inputs else ""]
    state_shape = [dirs, batch, HIDDEN] if layout == 0 else [batch, dirs, HIDDEN]
    node_inputs.append("sequence_lens" if "sequence_lens" in extra_graph_inputs else "")
    if "sequence_lens" in extra_graph_inputs:
        graph_inputs.append(helper.make_tensor_value_info("sequence_lens", TensorProto.INT32, [batch]))
    node_inputs.append("initial_h" if "initial_h" in extra_graph_inputs else "")
    if "initial_h" in extra_graph_inputs:
        graph_inputs.append(helper.make_tensor_value_info("initial_h", TensorProto.FLOAT, state_shape))
    if op == "LSTM":
        node_inputs.append("initial_c" if "initial_c" in extra_graph_inputs else "")
        if "initial_c" in extra_graph_inputs:
            graph_inputs.append(helper.make_tensor_value_info("initial_c", TensorProto.FLOAT, state_shape))
        if peepholes:
            node_inputs.append("P")
            initializers.append(numpy_helper.from_array(p, "P"))
    while node_inputs and node_inputs[-1] == "":
        node_inputs.pop()
    y_shape = [time, dirs, batch, HIDDEN] if layout == 0 else [batch, time, dirs, HIDDEN]
    outputs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    graph_outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, y_shape),
                     helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, state_shape)]
    if op == "LSTM":
        graph_outputs.append(helper.make_tensor_value_info("Y_c", TensorProto.FLOAT, state_shape))
    if layout:
        attrs = dict(attrs, layout=layout)
    node = helper.make_node(op, node_inputs, outputs, name=op.lower() + "_node", hidden_size=HIDDEN,
                            direction="bidirectional" if dirs == 2 else "forward", **attrs)
    graph = helper.make_graph([node], name, graph_inputs, graph_outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="onnx.helper")
    model.ir_version = 7
    path = os.path.join(OUT, name + ".onnx")
    if external:
        weights = os.path.join(OUT, name + ".weights")
        if os.path.exists(weights):
            os.remove(weights)  # onnx appends to an existing external data file
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=name + ".weights", size_threshold=0)
    else:
        onnx.save(model, path)


def shape_glue():
    """Glue as converters other than torch write it: a Reshape whose target is computed from Shape(x), a MatMul
    head over it, and the final state squeezed to [batch, hidden] as a second output."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "T", INPUT])
    const = lambda name, values: numpy_helper.from_array(np.array(values, dtype=np.int64), name)
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
        helper.make_node("LSTM", ["xt", "W", "R", "B"], ["y", "yh"], name="lstm", hidden_size=HIDDEN),
        helper.make_node("Squeeze", ["y", "one"], ["ys"]),
        helper.make_node("Transpose", ["ys"], ["yb"], perm=[1, 0, 2]),
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Slice", ["shape", "zero", "two"], ["nt"]),
        helper.make_node("Concat", ["nt", "width"], ["target"], axis=0),
        helper.make_node("Reshape", ["yb", "target"], ["features"]),
        helper.make_node("MatMul", ["features", "Wh"], ["mm"]),
        helper.make_node("Add", ["mm", "bh"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1),
        helper.make_node("Squeeze", ["yh", "zero"], ["final"]),
    ]
    initializers = [numpy_helper.from_array(rand(1, 4 * HIDDEN, INPUT), "W"),
                    numpy_helper.from_array(rand(1, 4 * HIDDEN, HIDDEN), "R"),
                    numpy_helper.from_array(rand(1, 8 * HIDDEN), "B"),
                    numpy_helper.from_array(rand(HIDDEN, HEAD), "Wh"), numpy_helper.from_array(rand(HEAD), "bh"),
                    const("one", [1]), const("zero", [0]), const("two", [2]), const("width", [HIDDEN])]
    outputs = [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", "T", HEAD]),
               helper.make_tensor_value_info("final", TensorProto.FLOAT, ["N", HIDDEN])]
    broken("helper_lstm_shape_glue", nodes, [x], outputs, initializers, opset=13)


def state_head():
    """A head straight on a GRU's Y_h [1, batch, hidden] (no Squeeze), the output keeping that leading 1."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["T", "N", INPUT])
    nodes = [
        helper.make_node("GRU", ["x", "W", "R", "B"], ["", "yh"], name="gru", hidden_size=HIDDEN,
                         linear_before_reset=1),
        helper.make_node("MatMul", ["yh", "Wh"], ["mm"]),
        helper.make_node("Add", ["bh", "mm"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["p"]),
    ]
    initializers = [numpy_helper.from_array(rand(1, 3 * HIDDEN, INPUT), "W"),
                    numpy_helper.from_array(rand(1, 3 * HIDDEN, HIDDEN), "R"),
                    numpy_helper.from_array(rand(1, 6 * HIDDEN), "B"),
                    numpy_helper.from_array(rand(HIDDEN, 2), "Wh"), numpy_helper.from_array(rand(2), "bh")]
    outputs = [helper.make_tensor_value_info("p", TensorProto.FLOAT, [1, "N", 2])]
    broken("helper_gru_state_head", nodes, [x], outputs, initializers, opset=9)


def broken(name, nodes, inputs, outputs, initializers, opset=14):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="onnx.helper")
    model.ir_version = 7
    onnx.save(model, os.path.join(OUT, name + ".onnx"))


def broken_files():
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["time", "batch", INPUT])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    w = numpy_helper.from_array(rand(1, 4 * HIDDEN, INPUT), "W")
    r = numpy_helper.from_array(rand(1, 4 * HIDDEN, HIDDEN), "R")
    # two Identity nodes feeding each other
    broken("bad_cycle", [helper.make_node("Identity", ["b"], ["a"], name="first"),
                         helper.make_node("Identity", ["a"], ["b"], name="second"),
                         helper.make_node("LSTM", ["X", "W", "R"], ["Y"], name="lstm", hidden_size=HIDDEN)],
           [x], [y], [w, r])
    # R is not provided by anything
    broken("bad_missing_initializer", [helper.make_node("LSTM", ["X", "W", "R"], ["Y"], name="lstm",
                                                        hidden_size=HIDDEN)], [x], [y], [w])
    # an op rnnc does not import after the recurrent node
    broken("bad_unsupported_op", [helper.make_node("LSTM", ["X", "W", "R"], ["Yr"], name="lstm", hidden_size=HIDDEN),
                                  helper.make_node("LeakyRelu", ["Yr"], ["Y"], name="leaky")], [x], [y], [w, r])
    # clip on the recurrent node
    broken("bad_clip", [helper.make_node("LSTM", ["X", "W", "R"], ["Y"], name="clipped", hidden_size=HIDDEN,
                                         clip=3.0)], [x], [y], [w, r])
    # non-default activations
    broken("bad_activations", [helper.make_node("LSTM", ["X", "W", "R"], ["Y"], name="hard", hidden_size=HIDDEN,
                                                activations=["HardSigmoid", "Tanh", "Tanh"])], [x], [y], [w, r])
    # a lone reverse direction
    broken("bad_reverse", [helper.make_node("GRU", ["X", "Wg", "Rg"], ["Y"], name="backwards", hidden_size=HIDDEN,
                                            direction="reverse")], [x], [y],
           [numpy_helper.from_array(rand(1, 3 * HIDDEN, INPUT), "Wg"), numpy_helper.from_array(rand(1, 3 * HIDDEN, HIDDEN), "Rg")])
    # external data pointing outside the model's directory
    ext = onnx.TensorProto()
    ext.name = "R"
    ext.data_type = TensorProto.FLOAT
    ext.dims.extend([1, 4 * HIDDEN, HIDDEN])
    ext.data_location = TensorProto.EXTERNAL
    entry = ext.external_data.add()
    entry.key, entry.value = "location", "../outside.bin"
    broken("bad_external_escape", [helper.make_node("LSTM", ["X", "W", "R"], ["Y"], name="lstm",
                                                    hidden_size=HIDDEN)], [x], [y], [w, ext])


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    export("torch_lstm_2x_bi_linear", Stack("LSTM", layers=2, bidirectional=True, head=HEAD))
    export("torch_gru_2x_bi_softmax", Stack("GRU", layers=2, bidirectional=True, head=HEAD, activation="softmax"))
    export("torch_rnn_sigmoid", Stack("RNN", head=HEAD, activation="sigmoid"), opset=9)
    export("torch_lstm_2x_m2o_softmax", Stack("LSTM", layers=2, head=HEAD, activation="softmax", many_to_one=True))
    export("torch_gru_bi_m2o_sigmoid", Stack("GRU", bidirectional=True, head=1, activation="sigmoid", many_to_one=True),
           opset=11)
    export("torch_rnn_relu_2x_bi_states", Stack("RNN", layers=2, bidirectional=True, nonlinearity="relu"))
    export("torch_lstm_states", Stack("LSTM", layers=2), opset=17)
    export("torch_lstm_embedding_linear", Stack("LSTM", head=HEAD, vocab=11), tokens=True)
    export("torch_lstm_2x_last_step_linear", LastStep("LSTM", 2))
    export("bad_bi_last_step", LastStep("GRU", 1, bidirectional=True))
    export_with_states("torch_gru_2x_bi_h0_time_major", WithStates("GRU", 2, True))
    export_with_states("torch_lstm_2x_h0_c0_time_major", WithStates("LSTM", 2, False))
    # what users get without dynamic_axes: batch 2 and time 3 fixed in the graph
    export("torch_lstm_2x_bi_fixed_shapes", Stack("LSTM", layers=2, bidirectional=True, head=HEAD,
                                                  activation="softmax"), opset=13, dynamic=False)
    export("torch_gru_2x_bi_m2o_fixed_shapes", Stack("GRU", layers=2, bidirectional=True, head=HEAD, many_to_one=True),
           opset=13, dynamic=False)

    single_node("onnx_lstm_peepholes", "LSTM", 1, 4, {}, peepholes=True)
    single_node("onnx_lstm_bi_peepholes_lengths", "LSTM", 2, 4, {}, peepholes=True,
                extra_graph_inputs=("sequence_lens",))
    single_node("onnx_gru_reset_before", "GRU", 1, 3, {"linear_before_reset": 0}, opset=7)
    single_node("onnx_gru_bi_lengths_h0", "GRU", 2, 3, {"linear_before_reset": 1},
                extra_graph_inputs=("sequence_lens", "initial_h"))
    single_node("onnx_lstm_bi_lengths_states", "LSTM", 2, 4, {}, extra_graph_inputs=("sequence_lens", "initial_h", "initial_c"))
    single_node("onnx_lstm_layout1_states", "LSTM", 2, 4, {}, layout=1, opset=21,
                extra_graph_inputs=("initial_h", "initial_c"))
    single_node("onnx_gru_layout1_before", "GRU", 1, 3, {"linear_before_reset": 0}, layout=1, opset=14)
    single_node("onnx_rnn_bi_lengths_explicit_activations", "RNN", 2, 1, {"activations": ["Tanh", "Tanh"]},
                extra_graph_inputs=("sequence_lens",))
    single_node("onnx_lstm_external", "LSTM", 1, 4, {}, external=True)
    single_node("onnx_lstm_no_bias", "LSTM", 1, 4, {}, inputs=("W", "R"))
    shape_glue()
    broken_files()
    state_head()


RNG = np.random.default_rng(7)

if __name__ == "__main__":
    main()
