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

tests/lit/onnx/Inputs/: small models for the importer's errors and the tools.
"""
import os
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
    error_models()


if __name__ == "__main__":
    main()
