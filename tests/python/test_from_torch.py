"""from_torch models against PyTorch: forward within 1e-5, gradients within 1e-4
(relative to the largest), for RNN/LSTM/GRU, two layers, one or two directions, with
and without lengths, alone and in an nn.Sequential with a loss."""
import numpy as np
import pytest
import torch

import loom

torch.manual_seed(0)
B, T, I, H = 3, 6, 5, 7


def flat(result):
    """PyTorch's (output, h_n) or (output, (h_n, c_n)) as a list."""
    out, state = result
    return [out, *(state if isinstance(state, tuple) else (state,))]


def close(got, want, tol):
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else want
    scale = max(1.0, float(np.abs(want).max()))
    assert got.shape == want.shape
    assert float(np.abs(got - want).max()) <= tol * scale


@pytest.mark.parametrize("cls", [torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent_forward_and_gradients(cls, bidirectional, batch_first, rng):
    module = cls(I, H, num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    m = loom.from_torch(module, seq_len=T).compile(batch=B, threads=1)
    shape = (B, T, I) if batch_first else (T, B, I)
    x = rng.standard_normal(shape, dtype=np.float32)
    xt = torch.from_numpy(x).requires_grad_()
    want = flat(module(xt))
    got = m.forward(x)
    for g, w in zip(got, want):
        close(g, w, 1e-5)
    cotangents = [rng.standard_normal(g.shape, dtype=np.float32) for g in got]
    grads = m.grad(x, grad_outputs=cotangents)
    names = [n for n, _ in module.named_parameters()]
    torch_grads = torch.autograd.grad(want, list(module.parameters()) + [xt], [torch.from_numpy(c) for c in cotangents])
    assert sorted(grads.parameters) == sorted(names)
    for name, tg in zip(names, torch_grads):
        close(grads.parameters[name], tg, 1e-4)
    close(grads.inputs[0], torch_grads[-1], 1e-4)


@pytest.mark.parametrize("cls", [torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lengths_as_pack_padded_sequence(cls, bidirectional, rng):
    module = cls(I, H, num_layers=2, bidirectional=bidirectional, batch_first=True)
    m = loom.from_torch(module, seq_len=T, lengths=True).compile(batch=B, threads=1)
    x = rng.standard_normal((B, T, I), dtype=np.float32)
    lengths = np.array([T, 2, 4], dtype=np.int64)
    xt = torch.from_numpy(x).requires_grad_()
    packed = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.from_numpy(lengths), batch_first=True,
                                                     enforce_sorted=False)
    out, state = module(packed)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
    want = flat((out, state))
    got = m.forward(x, lengths=lengths)
    for g, w in zip(got, want):
        close(g, w, 1e-5)
    cotangents = [rng.standard_normal(g.shape, dtype=np.float32) for g in got]
    grads = m.grad(x, lengths, grad_outputs=cotangents)
    torch_grads = torch.autograd.grad(want, list(module.parameters()) + [xt], [torch.from_numpy(c) for c in cotangents])
    for (name, _), tg in zip(module.named_parameters(), torch_grads):
        close(grads.parameters[name], tg, 1e-4)
    close(grads.inputs[0], torch_grads[-1], 1e-4)
    assert grads.inputs[1] is None  # lengths have no gradient


def test_sequential_with_loss_matches_backward(rng):
    module = torch.nn.Sequential(torch.nn.Embedding(20, I), torch.nn.GRU(I, H, batch_first=True),
                                 torch.nn.Dropout(0.0), torch.nn.Linear(H, 4))

    class Unpack(torch.nn.Module):  # what the Sequential means: the GRU's output sequence
        def forward(self, x):
            h = module[0](x)
            return module[3](module[2](module[1](h)[0]))

    m = loom.from_torch(module, seq_len=T, loss="cross_entropy").compile(batch=B, threads=1)
    assert m.state_dict().keys() == module.state_dict().keys()
    tokens = rng.integers(0, 20, (B, T))
    target = rng.integers(0, 4, (B, T))
    logits = Unpack()(torch.from_numpy(tokens))
    close(m.forward(tokens), logits, 1e-5)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 4), torch.from_numpy(target).reshape(-1))
    loss.backward()
    grads = m.grad(tokens, target)
    assert abs(grads.value - loss.item()) <= 1e-5 * max(1, abs(loss.item()))
    for name, p in module.named_parameters():
        close(grads.parameters[name], p.grad, 1e-4)
    assert grads.inputs[0] is None and set(grads.flows) == {"gru1.l0"}


def test_training_matches_torch_sgd(rng):
    module = torch.nn.LSTM(I, H, batch_first=True)
    m = loom.from_torch(module, seq_len=T, loss="mse").compile(batch=B, threads=1, optimizer="sgd", lr=0.1)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    for _ in range(3):
        x = rng.standard_normal((B, T, I), dtype=np.float32)
        y = rng.standard_normal((B, T, H), dtype=np.float32)
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(module(torch.from_numpy(x))[0], torch.from_numpy(y))
        loss.backward()
        optimizer.step()
        assert abs(m.train_step(x, y) - loss.item()) <= 1e-5
    for name, p in module.state_dict().items():
        close(m.state_dict()[name], p, 1e-5)


def test_refused_modules():
    with pytest.raises(NotImplementedError, match="from_torch: Conv1d '0' is not supported"):
        loom.from_torch(torch.nn.Sequential(torch.nn.Conv1d(2, 2, 1)), seq_len=3)
    with pytest.raises(NotImplementedError, match="proj_size"):
        loom.from_torch(torch.nn.LSTM(2, 4, proj_size=2), seq_len=3)
    with pytest.raises(ValueError, match="LSTM '1' takes 5 features, gets 3"):
        loom.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LSTM(5, 4)), seq_len=3)
    with pytest.raises(ValueError, match="a loss with lengths needs batch_first=True"):
        loom.from_torch(torch.nn.GRU(2, 4), seq_len=3, lengths=True, loss="mse")
    with pytest.raises(ValueError, match="seq_len"):
        loom.from_torch(torch.nn.LSTM(2, 4), seq_len=0)
