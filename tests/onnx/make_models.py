#!/usr/bin/python3
"""Writes the ONNX models Loom's tests read (Debian's python3-torch and python3-onnx;
run as /usr/bin/python3 tests/onnx/make_models.py). The outputs are committed; no test
runs torch.

tests/onnx/pytorch/<name>/: PyTorch models exported by torch.onnx.export, in the layout
of ONNX's node tests (model.onnx, test_data_set_0/{input,output}_N.pb), the outputs
PyTorch's own:
  sentiment_lstm  the seed's SentimentLSTM (Embedding 10000x100, 2-layer LSTM(256),
                  Linear(256, 1) on the last layer's final state: the logits), batch 4 x 20
  char_rnn        the seed's character RNN (one-hot 65 -> RNN(100) -> Linear(65)), batch 1 x 25
  bigru_lengths   a bidirectional GRU(8 -> 16) over sequences of different lengths
                  (ONNX's sequence_lens; PyTorch computes it with pack_padded_sequence).
                  torch.onnx does not export packed sequences, so this model is written
                  with onnx.helper from the PyTorch module's weights, reordered as ONNX
                  wants them.

tests/onnx/attributes/<name>/: ONNX's LSTM, GRU and RNN with the attributes ONNX's own
node tests leave at their defaults (every activation function with its alpha and beta,
clip, input_forget, peepholes, layout 1, reverse and bidirectional directions, initial
states, sequence_lens, GRU's linear_before_reset 0 and 1), the outputs from a float64
numpy implementation of the ONNX specification below (onnxruntime's reading where the
specification is silent: alphas and betas go, in order, to the functions that take them).

tests/lit/onnx/Inputs/: small models for the importer's errors and the tools.
"""
import os
import zlib
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
INPUTS = os.path.join(ROOT, "tests", "lit", "onnx", "Inputs")
sys.path.insert(0, os.path.join(ROOT, "bench"))
from pytorch_bench import SentimentLSTM  # noqa: E402  (the seed's, returning the logits)


def write_case(name, model_bytes_or_proto, inputs, outputs):
    d = os.path.join(HERE, "pytorch", name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    path = os.path.join(d, "model.onnx")
    if isinstance(model_bytes_or_proto, onnx.ModelProto):
        onnx.save(model_bytes_or_proto, path)
    for kind, arrays in (("input", inputs), ("output", outputs)):
        for i, a in enumerate(arrays):
            t = numpy_helper.from_array(np.ascontiguousarray(a))
            with open(os.path.join(d, "test_data_set_0", f"{kind}_{i}.pb"), "wb") as f:
                f.write(t.SerializeToString())
    return path


class CharRNN(torch.nn.Module):
    def __init__(self, vocab=65, hidden=100):
        super().__init__()
        self.rnn = torch.nn.RNN(vocab, hidden, batch_first=True)
        self.fc = torch.nn.Linear(hidden, vocab)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y)


def export(name, module, args):
    module.eval()
    d = os.path.join(HERE, "pytorch", name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    torch.onnx.export(module, args, path, opset_version=14, do_constant_folding=True,
                      input_names=[f"input_{i}" for i in range(len(args))], output_names=["logits"])
    with torch.no_grad():
        out = module(*args)
    outs = out if isinstance(out, tuple) else (out,)
    write_case(name, None, [a.numpy() for a in args], [o.numpy() for o in outs])


def gru_weights_onnx(gru, suffix):
    """PyTorch's GRU gates are r, z, n; ONNX's z, r, h."""
    h = gru.hidden_size

    def reorder(w):
        r, z, n = w[:h], w[h:2 * h], w[2 * h:]
        return np.concatenate([z, r, n])

    get = lambda n: getattr(gru, n + suffix).detach().numpy()
    return (reorder(get("weight_ih_l0")), reorder(get("weight_hh_l0")),
            np.concatenate([reorder(get("bias_ih_l0")), reorder(get("bias_hh_l0"))]))


def bigru_lengths():
    torch.manual_seed(3)
    gru = torch.nn.GRU(8, 16, bidirectional=True)
    T, B = 7, 3
    x = torch.randn(T, B, 8)
    lengths = torch.tensor([7, 4, 2])
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    with torch.no_grad():
        y, h = gru(packed)
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, total_length=T)  # [T, B, 2H], zeros past each length
    y = y.reshape(T, B, 2, 16).permute(0, 2, 1, 3)  # ONNX's Y: [T, directions, B, H]
    ws = [gru_weights_onnx(gru, s) for s in ("", "_reverse")]
    inits = [numpy_helper.from_array(np.stack([w[k] for w in ws]), n) for k, n in enumerate("WRB")]
    node = helper.make_node("GRU", ["X", "W", "R", "B", "lengths"], ["Y", "Y_h"], hidden_size=16,
                            direction="bidirectional", linear_before_reset=1, name="gru")
    graph = helper.make_graph(
        [node], "bigru_lengths",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, 8]),
         helper.make_tensor_value_info("lengths", TensorProto.INT32, [B])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [T, 2, B, 16]),
         helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [2, B, 16])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(model)
    write_case("bigru_lengths", model, [x.numpy(), lengths.numpy().astype(np.int32)], [y.numpy(), h.numpy()])


ACTIVATIONS = {  # name: (f(x, alpha, beta), how many of alpha, beta it takes)
    "Sigmoid": (lambda x, a, b: 1 / (1 + np.exp(-x)), 0),
    "Tanh": (lambda x, a, b: np.tanh(x), 0),
    "Relu": (lambda x, a, b: np.maximum(x, 0), 0),
    "Softsign": (lambda x, a, b: x / (1 + np.abs(x)), 0),
    "Softplus": (lambda x, a, b: np.log1p(np.exp(x)), 0),
    "LeakyRelu": (lambda x, a, b: np.where(x >= 0, x, a * x), 1),
    "ThresholdedRelu": (lambda x, a, b: np.where(x > a, x, 0), 1),
    "Elu": (lambda x, a, b: np.where(x >= 0, x, a * (np.exp(x) - 1)), 1),
    "Affine": (lambda x, a, b: a * x + b, 2),
    "ScaledTanh": (lambda x, a, b: a * np.tanh(b * x), 2),
    "HardSigmoid": (lambda x, a, b: np.clip(a * x + b, 0, 1), 2),
}


def reference_rnn(op, x, w, r, b, lengths, h0, c0, p, acts, alphas, betas, clip, direction, layout, input_forget,
                  linear_before_reset):
    """ONNX's LSTM/GRU/RNN in float64: Y, Y_h (and Y_c)."""
    x, w, r = (a.astype(np.float64) for a in (x, w, r))
    if layout:
        x = x.transpose(1, 0, 2)
        h0 = None if h0 is None else h0.transpose(1, 0, 2)
        c0 = None if c0 is None else c0.transpose(1, 0, 2)
    T, B, _ = x.shape
    D, H = w.shape[0], r.shape[2]
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    funcs, ai, bi = [], 0, 0
    for name in acts:
        f, takes = ACTIVATIONS[name]
        a = alphas[ai] if takes >= 1 else 0
        ai += takes >= 1
        bb = betas[bi] if takes >= 2 else 0
        bi += takes >= 2
        funcs.append(lambda v, f=f, a=a, bb=bb: f(v, a, bb))
    clipped = (lambda v: np.clip(v, -clip, clip)) if clip else (lambda v: v)
    y = np.zeros((T, D, B, H))
    y_h, y_c = np.zeros((D, B, H)), np.zeros((D, B, H))
    for d in range(D):
        per = len(acts) // D
        f, g, hf = (funcs[d * per + k] if k < per else None for k in range(3))
        wb = np.zeros(G * H) if b is None else b[d, :G * H].astype(np.float64)
        rb = np.zeros(G * H) if b is None else b[d, G * H:].astype(np.float64)
        reverse = direction == "reverse" or d == 1
        for n in range(B):
            length = T if lengths is None else int(lengths[n])
            h = np.zeros(H) if h0 is None else h0[d, n].astype(np.float64)
            c = np.zeros(H) if c0 is None else c0[d, n].astype(np.float64)
            for t in (reversed(range(length)) if reverse else range(length)):
                xw = w[d] @ x[t, n] + wb
                if op == "LSTM":
                    gates = xw + r[d] @ h + rb
                    pi, po, pf = (np.zeros(H),) * 3 if p is None else np.split(p[d].astype(np.float64), 3)
                    i = f(clipped(gates[:H] + pi * c))
                    fg = 1 - i if input_forget else f(clipped(gates[2 * H:3 * H] + pf * c))
                    c = fg * c + i * g(clipped(gates[3 * H:]))
                    o = f(clipped(gates[H:2 * H] + po * c))
                    h = o * hf(c)
                elif op == "GRU":
                    hr = r[d] @ h
                    z = f(clipped(xw[:H] + hr[:H] + rb[:H]))
                    rg = f(clipped(xw[H:2 * H] + hr[H:2 * H] + rb[H:2 * H]))
                    if linear_before_reset:
                        cand = xw[2 * H:] + rg * (hr[2 * H:] + rb[2 * H:])
                    else:
                        cand = xw[2 * H:] + r[d][2 * H:] @ (rg * h) + rb[2 * H:]
                    h = (1 - z) * g(clipped(cand)) + z * h
                else:
                    h = f(clipped(xw + r[d] @ h + rb))
                y[t, d, n] = h
            y_h[d, n], y_c[d, n] = h, c
    if layout:
        y, y_h, y_c = y.transpose(2, 0, 1, 3), y_h.transpose(1, 0, 2), y_c.transpose(1, 0, 2)
    outs = [y, y_h] + ([y_c] if op == "LSTM" else [])
    return [o.astype(np.float32) for o in outs]


def attribute_case(name, op, direction="forward", layout=0, acts=None, alphas=(), betas=(), clip=None,
                   input_forget=0, linear_before_reset=0, bias=True, lengths=None, initial=False, peepholes=False):
    rng = np.random.RandomState(zlib.crc32(name.encode()))
    T, B, I, H = 5, 3, 4, 6
    D = 2 if direction == "bidirectional" else 1
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    u = lambda *shape: rng.uniform(-0.8, 0.8, shape).astype(np.float32)
    x = u(B, T, I) if layout else u(T, B, I)
    w, r = u(D, G * H, I), u(D, G * H, H)
    state = (B, D, H) if layout else (D, B, H)
    b = u(D, 2 * G * H) if bias else None
    h0 = u(*state) if initial else None
    c0 = u(*state) if initial and op == "LSTM" else None
    p = u(D, 3 * H) if peepholes else None
    lens = None if lengths is None else np.array(lengths, np.int32)
    acts = acts or {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}[op] * D
    outs = reference_rnn(op, x, w, r, b, lens, h0, c0, p, acts, list(alphas), list(betas), clip, direction, layout,
                         input_forget, linear_before_reset)
    names = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"][:{"LSTM": 8, "GRU": 6, "RNN": 6}[op]]
    values = [x, w, r, b, lens, h0, c0, p]
    inputs = [(n, v) for n, v in zip(names, values) if v is not None]
    attrs = dict(hidden_size=H, direction=direction, layout=layout, activations=acts)
    if alphas:
        attrs["activation_alpha"] = list(alphas)
    if betas:
        attrs["activation_beta"] = list(betas)
    if clip:
        attrs["clip"] = clip
    if op == "LSTM":
        attrs["input_forget"] = input_forget
    if op == "GRU":
        attrs["linear_before_reset"] = linear_before_reset
    out_names = ["Y", "Y_h", "Y_c"][:len(outs)]
    node = helper.make_node(op, [n if v is not None else "" for n, v in zip(names, values)], out_names, name=name,
                            **attrs)
    elem = lambda v: TensorProto.INT32 if v.dtype == np.int32 else TensorProto.FLOAT
    graph = helper.make_graph(
        [node], name, [helper.make_tensor_value_info(n, elem(v), v.shape) for n, v in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, o.shape) for n, o in zip(out_names, outs)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(model)
    d = os.path.join(HERE, "attributes", name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for kind, arrays in (("input", [v for _, v in inputs]), ("output", outs)):
        for i, a in enumerate(arrays):
            with open(os.path.join(d, "test_data_set_0", f"{kind}_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a).SerializeToString())


def attribute_cases():
    attribute_case("lstm_everything", "LSTM", direction="bidirectional", layout=1,
                   acts=["HardSigmoid", "ScaledTanh", "Affine", "HardSigmoid", "Affine", "ScaledTanh"],
                   alphas=[0.3, 0.9, 0.7, 0.25, 1.1, 0.8], betas=[0.45, 1.2, 0.1, 0.55, -0.2, 0.9], clip=1.5,
                   input_forget=1, lengths=[5, 2, 4], initial=True, peepholes=True)
    attribute_case("lstm_reverse_peepholes", "LSTM", direction="reverse", clip=0.7, peepholes=True, initial=True,
                   lengths=[3, 5, 1])
    attribute_case("gru_leaky_elu", "GRU", direction="reverse", acts=["LeakyRelu", "Elu"], alphas=[0.2, 0.7],
                   clip=1.2, lengths=[4, 5, 2], initial=True)
    attribute_case("gru_bidirectional_lbr", "GRU", direction="bidirectional", linear_before_reset=1, layout=1,
                   lengths=[2, 5, 3], initial=True)
    attribute_case("gru_no_bias", "GRU", bias=False, acts=["Softsign", "Softplus"])
    attribute_case("rnn_thresholded_softsign", "RNN", direction="bidirectional", layout=1,
                   acts=["ThresholdedRelu", "Softsign"], alphas=[0.1], initial=True)
    attribute_case("rnn_softplus_relu", "RNN", direction="bidirectional", acts=["Softplus", "Relu"],
                   lengths=[1, 5, 3], clip=2.0)


def error_models():
    os.makedirs(INPUTS, exist_ok=True)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])

    def save(name, nodes, inputs=(x,), outputs=(y,), inits=(), opset=14):
        graph = helper.make_graph(nodes, name, list(inputs), list(outputs), list(inits))
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]),
                  os.path.join(INPUTS, name + ".onnx"))

    save("unsupported_op", [helper.make_node("Erf", ["x"], ["y"], name="erf1")])
    save("unsupported_attribute", [helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transA=0, gamma=2.0)],
         inits=[numpy_helper.from_array(np.ones((3, 3), np.float32), "w")])
    save("unsupported_activation", [helper.make_node(
        "RNN", ["xs", "W", "R"], ["", "y"], name="rnn1", hidden_size=3, activations=["Gelu"])],
        inputs=[helper.make_tensor_value_info("xs", TensorProto.FLOAT, [4, 2, 3])],
        outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3])],
        inits=[numpy_helper.from_array(np.ones((1, 3, 3), np.float32), n) for n in ("W", "R")])
    save("unsupported_softmax_axis", [helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=0)], opset=11)
    save("unsupported_dtype", [helper.make_node("Relu", ["x"], ["y"], name="r")],
         inputs=[helper.make_tensor_value_info("x", TensorProto.UINT8, [2, 3])])
    save("symbolic_dimension", [helper.make_node("Relu", ["x"], ["y"], name="r")],
         inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])])
    save("runtime_shape", [helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")],
         inputs=[x, helper.make_tensor_value_info("s", TensorProto.INT64, [2])])
    save("bad_lstm_weights", [helper.make_node("LSTM", ["xs", "W", "R"], ["ys"], name="lstm", hidden_size=3)],
         inputs=[helper.make_tensor_value_info("xs", TensorProto.FLOAT, [4, 2, 3])],
         outputs=[helper.make_tensor_value_info("ys", TensorProto.FLOAT, [4, 1, 2, 3])],
         inits=[numpy_helper.from_array(np.ones((1, 12, 5), np.float32), "W"),
                numpy_helper.from_array(np.ones((1, 12, 3), np.float32), "R")])
    save("dropout_mask", [helper.make_node("Dropout", ["x"], ["y", "mask"], name="drop")],
         outputs=[y, helper.make_tensor_value_info("mask", TensorProto.BOOL, [2, 3])])
    save("negative_step", [helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"], name="rev")],
         outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
         inits=[numpy_helper.from_array(np.array(v, np.int64), n)
                for n, v in (("s", [-1]), ("e", [-4]), ("a", [1]), ("st", [-1]))])
    save("matmul_broadcast", [helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
         inputs=[helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3, 4]),
                 helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4, 5])],
         outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 5])])
    save("foreign_domain", [helper.make_node("FusedGemm", ["x", "x"], ["y"], name="fused", domain="com.microsoft")])
    save("bad_direction", [helper.make_node("RNN", ["xs", "W", "R"], ["", "y"], name="rnn2", hidden_size=3,
                                            direction="sideways")],
         inputs=[helper.make_tensor_value_info("xs", TensorProto.FLOAT, [4, 2, 3])],
         outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3])],
         inits=[numpy_helper.from_array(np.ones((1, 3, 3), np.float32), n) for n in ("W", "R")])
    external = numpy_helper.from_array(np.ones((3, 3), np.float32), "w")
    external.data_location = TensorProto.EXTERNAL
    external.ClearField("raw_data")
    external.external_data.add(key="location", value="w.bin")
    save("external_data", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], inits=[external])
    save("training_dropout", [helper.make_node("Dropout", ["x", "ratio", "training"], ["y"], name="drop")],
         inits=[numpy_helper.from_array(np.array(0.5, np.float32), "ratio"),
                numpy_helper.from_array(np.array(True), "training")])
    save("integer_tanh", [helper.make_node("Tanh", ["x"], ["y"], name="t")],
         inputs=[helper.make_tensor_value_info("x", TensorProto.INT32, [2, 3])],
         outputs=[helper.make_tensor_value_info("y", TensorProto.INT32, [2, 3])])
    save("sequence_input", [helper.make_node("SequenceLength", ["xs"], ["n"], name="len")],
         inputs=[helper.make_tensor_sequence_value_info("xs", TensorProto.FLOAT, [2, 3])],
         outputs=[helper.make_tensor_value_info("n", TensorProto.INT64, [])])
    save("old_opset", [helper.make_node("Relu", ["x"], ["y"], name="r")], opset=6)
    with open(os.path.join(INPUTS, "not_a_model.onnx"), "wb") as f:
        f.write(b"\x0a\xff\xff\xff\xff\x0f")  # a length past the end


def main():
    torch.manual_seed(1)
    export("sentiment_lstm", SentimentLSTM(), (torch.randint(0, 10000, (4, 20)),))
    torch.manual_seed(2)
    x = torch.nn.functional.one_hot(torch.randint(0, 65, (1, 25)), 65).float()
    export("char_rnn", CharRNN(), (x,))
    bigru_lengths()
    attribute_cases()
    error_models()


if __name__ == "__main__":
    main()
