"""loom.load("model.onnx"): PyTorch's exports (tests/onnx/pytorch) give their recorded
outputs through the Python module too."""
import glob
import os

import numpy as np
import onnx
import onnx.numpy_helper
import pytest

import loom


def tensors(directory, kind):
    files = sorted(glob.glob(os.path.join(directory, f"{kind}_*.pb")), key=lambda f: int(f.rsplit("_", 1)[1][:-3]))
    return [onnx.numpy_helper.to_array(onnx.load_tensor(f)) for f in files]


@pytest.mark.parametrize("name", ["sentiment_lstm", "char_rnn", "bigru_lengths"])
def test_pytorch_exports(root, name):
    directory = root / "tests" / "onnx" / "pytorch" / name
    model = loom.load(str(directory / "model.onnx"))
    inputs = tensors(directory / "test_data_set_0", "input")
    want = tensors(directory / "test_data_set_0", "output")
    m = model.compile(batch=inputs[0].shape[model.inputs[0][2].index(-1)] if -1 in model.inputs[0][2] else 1,
                      threads=1)
    got = m.forward(*inputs)
    got = got if isinstance(got, tuple) else (got,)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-5, rtol=0)
    onnx_names = {i.name for i in onnx.load(str(directory / "model.onnx")).graph.initializer}
    assert set(m.state_dict()) == onnx_names  # parameters go by their initializers' names
