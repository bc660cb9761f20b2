"""The module's contract: zero-copy inputs, the GIL released, clear exceptions for bad
input (never a crash), checkpoints, state_dict, streaming, and `import loom` without torch."""
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import loom

LSTM = """
name: "Tagger"
input { name: "x" dtype: F32 shape: [-1, 12, 4] }
input { name: "y" dtype: F32 shape: [-1, 12, 3] }
layer { name: "lstm" inputs: "x" lstm { input_size: 4 hidden_size: 8 batch_first: true } }
layer { name: "fc" inputs: "lstm" linear { in_features: 8 out_features: 3 } }
output: "fc"
loss { input: "fc" target: "y" mse: true }
training { optimizer { lr: 0.05 adam {} } seed: 3 }
"""


@pytest.fixture
def model():
    return loom.parse(LSTM, "tagger.pbtxt")


@pytest.fixture
def compiled(model):
    with model.compile(batch=2, threads=1, streaming=True) as m:
        yield m


def test_inputs_are_read_in_place(compiled, rng):
    x = rng.standard_normal((2, 12, 4), dtype=np.float32)
    assert compiled._input_addresses(x) == [x.ctypes.data]
    view = x[:, :, :]  # a view of the same memory, still C-contiguous
    assert compiled._input_addresses(view) == [x.ctypes.data]
    # A list is converted (a copy) to the input's dtype; float64 arrays are refused.
    assert compiled._input_addresses(x.tolist()) != [x.ctypes.data]
    with pytest.raises(ValueError, match="the element type is wrong: f64 for f32"):
        compiled._input_addresses(x.astype(np.float64))


def test_outputs_own_their_memory(compiled, rng):
    x = rng.standard_normal((2, 12, 4), dtype=np.float32)
    y = compiled.forward(x)
    assert y.flags.owndata is False and y.base is not None  # the capsule holding Loom's tensor
    compiled.close()
    assert np.isfinite(y).all()  # still valid after the model is gone


def test_gil_is_released_during_a_call(model, rng):
    long = loom.parse(LSTM.replace("12", "12000").replace("hidden_size: 8", "hidden_size: 256")
                      .replace("in_features: 8", "in_features: 256"), "long.pbtxt")
    m = long.compile(batch=2, threads=1)
    x = rng.standard_normal((2, 12000, 4), dtype=np.float32)
    m.forward(x)  # compiled now: the calls below only run
    windows = []

    def calls():  # at least 0.6 s inside forward, however fast the machine
        while sum(end - start for start, end in windows) < 0.6:
            start = time.monotonic()
            m.forward(x)
            windows.append((start, time.monotonic()))

    ticks = []
    worker = threading.Thread(target=calls)
    worker.start()
    while worker.is_alive():
        ticks.append(time.monotonic())
    worker.join()
    # Holding the GIL, a call would leave this thread no tick inside its window, but for
    # a switch interval (5 ms) at either end, outside the call.
    inside = [t for t in ticks if any(start + 0.02 < t < end - 0.02 for start, end in windows)]
    assert len(inside) > 0


@pytest.mark.parametrize("bad, message", [
    (lambda x: x.astype(np.float64), r"input 'x' must be f32\[2,12,4\], got f64\[2,12,4\] \(the element type is wrong"),
    (lambda x: x[0], r"input 'x' must be f32\[2,12,4\], got f32\[12,4\] \(the shape is wrong\)"),
    (lambda x: np.asfortranarray(x), r"not a C-contiguous"),
    (lambda x: x[:, ::-1, :], r"not a C-contiguous"),
    (lambda x: np.where(np.arange(x.size).reshape(x.shape) == 5, np.nan, x).astype(np.float32),
     r"input 'x' element 5 is nan \(Loom takes finite values\)"),
    (lambda x: np.where(np.arange(x.size).reshape(x.shape) == 0, np.inf, x).astype(np.float32), r"element 0 is inf"),
    (lambda x: "text", r"input 'x' must be an array of f32, got a str \(ValueError: could not convert"),
])
def test_bad_inputs_raise_value_error(compiled, rng, bad, message):
    x = rng.standard_normal((2, 12, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=message):
        compiled.forward(bad(x))
    assert compiled.forward(x).shape == (2, 12, 3)  # and the model still works


def test_other_misuse(model, compiled, rng):
    x = rng.standard_normal((2, 12, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=r"takes 1 inputs \(x\), got 2"):
        compiled.forward(x, x)
    with pytest.raises(ValueError, match="has no input 'z'"):
        compiled.forward(z=x)
    with pytest.raises(ValueError, match="input 'y' is missing"):
        compiled.train_step(x)
    with pytest.raises(ValueError, match="batch must be at least 1"):
        model.compile(batch=0)
    with pytest.raises(ValueError, match="threads takes 1 to 256"):
        model.compile(batch=1, threads=1000)
    with pytest.raises(ValueError, match=r"tagger.pbtxt:2:6: error: unknown field .bogus."):
        loom.parse("name: \"x\"\nbogus: 1\n", "tagger.pbtxt")
    with pytest.raises(FileNotFoundError):
        loom.load("/nonexistent/model.pbtxt")
    with pytest.raises(ValueError, match="has no @train_step"):
        loom.parse(LSTM.replace("training { optimizer { lr: 0.05 adam {} } seed: 3 }", ""), "t").compile().train_step(
            x[:1], np.zeros((1, 12, 3), np.float32))
    compiled.close()
    assert compiled.closed
    y = np.zeros((2, 12, 3), np.float32)
    for call in (lambda: compiled.forward(x), lambda: compiled.train_step(x, y), compiled.state_dict,
                 lambda: compiled.step(np.ascontiguousarray(x[:, :1]))):
        with pytest.raises(ValueError, match="model 'Tagger' is closed"):
            call()


def test_a_model_with_only_a_loss(rng):
    only_loss = loom.parse(LSTM.replace('output: "fc"\n', ""), "loss_only.pbtxt").compile(batch=2, threads=1)
    x = rng.standard_normal((2, 12, 4), dtype=np.float32)
    y = rng.standard_normal((2, 12, 3), dtype=np.float32)
    assert np.isfinite(only_loss.train_step(x, y))
    assert np.isfinite(only_loss.grad(x, y).value)
    with pytest.raises(ValueError):
        only_loss.forward(x)


def test_state_dict_round_trip_and_checks(model, compiled, rng):
    state = compiled.state_dict()
    assert list(state) == ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
                           "fc.weight", "fc.bias"]
    other = model.compile(batch=2, threads=1, seed=99)
    x = rng.standard_normal((2, 12, 4), dtype=np.float32)
    assert not np.array_equal(other.forward(x), compiled.forward(x))
    other.load_state_dict(state)
    assert np.array_equal(other.forward(x), compiled.forward(x))
    with pytest.raises(KeyError, match=r"missing key\(s\): \[fc.bias\]"):
        other.load_state_dict({k: v for k, v in state.items() if k != "fc.bias"})
    bad = dict(state, **{"fc.weight": np.zeros((3, 9), np.float32)})
    with pytest.raises(ValueError, match=r"parameter fc.weight is f32\[3,8\], got f32\[3,9\]"):
        other.load_state_dict(bad)
    assert np.array_equal(other.forward(x), compiled.forward(x))  # a refused load changed nothing


def test_checkpoint_round_trip(compiled, tmp_path, rng):
    x = rng.standard_normal((2, 12, 4), dtype=np.float32)
    y = rng.standard_normal((2, 12, 3), dtype=np.float32)
    compiled.train_step(x, y)
    path = str(tmp_path / "tagger.ckpt")
    compiled.save(path, {"note": "hello"})
    again = loom.load_checkpoint(path, batch=2, threads=1)
    assert np.array_equal(again.forward(x), compiled.forward(x))
    # The optimizer state came along: the next steps are the same.
    assert again.train_step(x, y) == compiled.train_step(x, y)
    assert compiled.load(path)["note"] == "hello"


def test_streaming_steps_equal_forward(compiled, rng):
    x = rng.standard_normal((2, 12, 4), dtype=np.float32)
    whole = compiled.forward(x)
    compiled.reset_state()
    steps = np.concatenate([compiled.step(np.ascontiguousarray(x[:, t:t + 1])) for t in range(12)], axis=1)
    np.testing.assert_allclose(steps, whole, rtol=1e-5, atol=1e-6)


def test_training_reduces_the_loss_and_lr_is_settable(compiled, rng):
    x = rng.standard_normal((2, 12, 4), dtype=np.float32)
    y = np.tanh(x[..., :3])
    assert compiled.lr == pytest.approx(0.05)
    first = compiled.train_step(x, y)
    for _ in range(30):
        last = compiled.train_step(x, y)
    assert last < 0.5 * first
    compiled.lr = 0.0
    frozen = compiled.state_dict()
    compiled.train_step(x, y)
    assert all(np.array_equal(frozen[k], v) for k, v in compiled.state_dict().items())


def test_grad_flow_has_a_norm_per_step(compiled, rng):
    x = rng.standard_normal((2, 12, 4), dtype=np.float32)
    y = rng.standard_normal((2, 12, 3), dtype=np.float32)
    before = compiled.state_dict()
    flows = loom.grad_flow(compiled, x, y)
    assert list(flows) == ["lstm.l0"] and flows["lstm.l0"].shape == (12,)
    assert (flows["lstm.l0"] > 0).all()
    assert all(np.array_equal(before[k], v) for k, v in compiled.state_dict().items())  # no update


def in_threads(calls, repeat=20):
    """Each call made `repeat` times on a thread of its own, all at once: the last results."""
    results = [None] * len(calls)

    def run(i):
        for _ in range(repeat):
            results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_threads_share_one_model(compiled, rng):
    xs = [rng.standard_normal((2, 12, 4), dtype=np.float32) for _ in range(8)]
    serial = [compiled.forward(x) for x in xs]
    results = in_threads([lambda x=x: compiled.forward(x) for x in xs])
    assert all(np.array_equal(r, s) for r, s in zip(results, serial))


def test_sessions_serve_one_model_from_many_threads(compiled, rng):
    xs = [rng.standard_normal((2, 12, 4), dtype=np.float32) for _ in range(6)]
    serial = [compiled.forward(x) for x in xs]
    sessions = [compiled.session() for _ in xs]
    results = in_threads([lambda s=s, x=x: s.forward(x) for s, x in zip(sessions, xs)])
    assert all(np.array_equal(r, s) for r, s in zip(results, serial))
    # A session streams with its own state: the model's is untouched.
    steps = np.concatenate([sessions[0].step(np.ascontiguousarray(xs[0][:, t:t + 1])) for t in range(12)], axis=1)
    np.testing.assert_allclose(steps, serial[0], rtol=1e-5, atol=1e-6)
    # While sessions read the parameters, the model neither trains nor closes.
    with pytest.raises(RuntimeError, match="cannot train while 6 session"):
        compiled.train_step(xs[0], np.zeros((2, 12, 3), np.float32))
    with pytest.raises(ValueError, match="has 6 open session"):
        compiled.close()
    for session in sessions:
        session.close()
    with pytest.raises(ValueError, match="session of model 'Tagger' is closed"):
        sessions[0].forward(xs[0])
    assert np.isfinite(compiled.train_step(xs[0], np.zeros((2, 12, 3), np.float32)))
    compiled.close()


def test_import_without_torch():
    code = "import sys; sys.modules['torch'] = None; import loom; print(loom.load.__doc__ is not None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_help_is_documented():
    for name in loom.__all__:
        assert getattr(loom, name).__doc__, name
    for name in ("forward", "step", "train_step", "grad", "state_dict", "load_state_dict", "save", "load", "close"):
        assert getattr(loom.CompiledModel, name).__doc__, name
