#!/usr/bin/python3
"""The workloads of bench/model_bench.cc in PyTorch (Debian's python3-torch), for ratios.

Run as the README says (OPENBLAS_CORETYPE=SkylakeX; OMP_WAIT_POLICY=PASSIVE at 2 threads):
  OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch_bench.py
Prints the median of 7 runs of each workload, in milliseconds, at 1 and 2 threads.
"""
import statistics
import time

import torch


class SentimentLSTM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(10000, 100)
        self.lstm = torch.nn.LSTM(100, 256, num_layers=2, dropout=0.5, batch_first=True)
        self.dropout = torch.nn.Dropout(0.5)
        self.fc = torch.nn.Linear(256, 1)

    def forward(self, x):
        _, (hidden, _) = self.lstm(self.embedding(x))
        return self.fc(self.dropout(hidden[-1]))


class CharRNN(torch.nn.Module):
    def __init__(self, vocab=65):
        super().__init__()
        self.vocab = vocab
        self.rnn = torch.nn.RNN(vocab, 100, batch_first=True)
        self.fc = torch.nn.Linear(100, vocab)

    def forward(self, x, h):
        out, h = self.rnn(torch.nn.functional.one_hot(x, self.vocab).float(), h)
        return self.fc(out), h


class GruByGate(torch.nn.Module):
    """examples/gru_by_gate.pbtxt as a PyTorch user writes a custom cell: a loop over time
    with one Linear per gate product."""

    def __init__(self, inp=64, hidden=128, out=8):
        super().__init__()
        self.hidden = hidden
        self.w = torch.nn.ModuleList(torch.nn.Linear(inp, hidden) for _ in range(3))
        self.u = torch.nn.ModuleList(torch.nn.Linear(hidden, hidden, bias=False) for _ in range(3))
        self.head = torch.nn.Linear(hidden, out)

    def forward(self, x):
        h = x.new_zeros(x.shape[0], self.hidden)
        ys = []
        for t in range(x.shape[1]):
            xt = x[:, t]
            z = torch.sigmoid(self.w[0](xt) + self.u[0](h))
            r = torch.sigmoid(self.w[1](xt) + self.u[1](h))
            n = torch.tanh(self.w[2](xt) + r * self.u[2](h))
            h = n + z * (h - n)
            ys.append(h)
        return self.head(torch.stack(ys, 1))


def median_ms(fn, reps=7, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    for threads in (1, 2):
        torch.set_num_threads(threads)
        m = SentimentLSTM()
        x = torch.zeros(32, 50, dtype=torch.long)
        y = torch.zeros(32, 1)
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        m.eval()

        def forward():
            with torch.no_grad():
                m(x)

        f = median_ms(forward)
        m.train()

        def train_step():
            opt.zero_grad()
            loss_fn(m(x), y).backward()
            opt.step()

        t = median_ms(train_step)
        c = CharRNN()
        cx = torch.zeros(1, 25, dtype=torch.long)
        h = torch.zeros(1, 1, 100)
        copt = torch.optim.Adagrad(c.parameters(), lr=0.1)

        def char_step():
            copt.zero_grad()
            logits, _ = c(cx, h)
            torch.nn.functional.cross_entropy(logits.reshape(-1, 65), cx.reshape(-1), reduction="sum").backward()
            torch.nn.utils.clip_grad_value_(c.parameters(), 5)
            copt.step()

        s = median_ms(char_step, reps=21)
        lstm = torch.nn.LSTM(256, 256, batch_first=True)
        state = [torch.zeros(1, 1, 256), torch.zeros(1, 1, 256)]
        xt = torch.zeros(1, 1, 256)

        def stream_step():
            with torch.no_grad():
                _, (h, c) = lstm(xt, (state[0], state[1]))
                state[0], state[1] = h, c

        st = median_ms(stream_step, reps=101)
        g = GruByGate()
        gx, gy = torch.zeros(16, 32, 64), torch.zeros(16, 32, 8)
        gopt = torch.optim.Adam(g.parameters(), lr=0.01)

        def gru_step():
            gopt.zero_grad()
            torch.nn.functional.mse_loss(g(gx), gy).backward()
            gopt.step()

        gs = median_ms(gru_step, reps=21)
        print(f"threads={threads}: sentiment forward {f:.1f} ms, sentiment train step {t:.1f} ms, "
              f"char-rnn train step {s:.3f} ms, gate-by-gate GRU train step {gs:.2f} ms, "
              f"streaming LSTM step {st * 1000:.1f} us")


if __name__ == "__main__":
    main()
