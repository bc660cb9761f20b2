#!/usr/bin/python3
"""The workloads of bench/model_bench.cc in PyTorch (Debian's python3-torch), for ratios.

  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/pytorch_bench.py [THREADS...]
Prints, as JSON, the median time in milliseconds of each workload at each thread count
(default 1). bench/compare.py runs it beside Loom and oneDNN.
"""
import json
import statistics
import sys
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


def workloads():
    """Each workload of bench/model_bench.cc as a PyTorch user writes it: name -> a
    function running it once."""
    m = SentimentLSTM()
    x = torch.zeros(32, 50, dtype=torch.long)
    y = torch.zeros(32, 1)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def forward():
        m.eval()
        with torch.no_grad():
            m(x)

    def train_step():
        m.train()
        opt.zero_grad()
        loss_fn(m(x), y).backward()
        opt.step()

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

    lstm = torch.nn.LSTM(256, 256, batch_first=True)
    state = [torch.zeros(1, 1, 256), torch.zeros(1, 1, 256)]
    xt = torch.zeros(1, 1, 256)
    x100 = torch.zeros(1, 100, 256)

    def stream_step():
        with torch.no_grad():
            _, (hn, cn) = lstm(xt, (state[0], state[1]))
            state[0], state[1] = hn, cn

    def lstm_100_steps():
        with torch.no_grad():
            lstm(x100)

    stacked = torch.nn.LSTM(64, 64, num_layers=2, batch_first=True)
    sx = torch.zeros(1, 100, 64)

    def stacked_lstm():
        with torch.no_grad():
            stacked(sx)

    g = GruByGate()
    gx, gy = torch.zeros(16, 32, 64), torch.zeros(16, 32, 8)
    gopt = torch.optim.Adam(g.parameters(), lr=0.01)

    def gru_step():
        gopt.zero_grad()
        torch.nn.functional.mse_loss(g(gx), gy).backward()
        gopt.step()

    bigru = torch.nn.GRU(64, 128, num_layers=2, bidirectional=True, batch_first=True)
    bx = torch.zeros(16, 32, 64)

    def bigru_forward():
        with torch.no_grad():
            bigru(bx)

    return {"SentimentForward": (forward, 7), "SentimentTrainStep": (train_step, 7),
            "StreamingLstmStep": (stream_step, 101), "Lstm100StepsBatch1": (lstm_100_steps, 21),
            "StackedLstmBatch1": (stacked_lstm, 21),
            "CharRnnTrainStep": (char_step, 21), "GruByGateTrainStep": (gru_step, 21),
            "BiGruForward": (bigru_forward, 21)}


def main():
    threads = [int(t) for t in sys.argv[1:]] or [1]
    results = {}
    for n in threads:
        torch.set_num_threads(n)
        for name, (fn, reps) in workloads().items():
            results[f"{name}/threads:{n}"] = median_ms(fn, reps=reps)
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
