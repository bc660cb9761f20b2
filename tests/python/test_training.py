"""Training the seed's SentimentLSTM from Python is `loom train`: the same batches, the
same losses and the same parameters, bit for bit, for the same seed and data."""
import csv
import subprocess

import numpy as np

import loom

STEPS = 3


def test_python_training_equals_loom_train(root, loom_tool, tmp_path):
    model_file = str(root / "examples" / "sentiment_lstm.pbtxt")
    data_file = str(root / "tests" / "data" / "spam_ham_700.tsv")
    ckpt = str(tmp_path / "cli.ckpt")
    subprocess.run([loom_tool, "train", model_file, "--data", data_file, "--steps", str(STEPS), "--save", ckpt,
                    "--threads", "1"], check=True, capture_output=True)
    with open(ckpt + ".csv") as f:
        logged = [float(row["loss"]) for row in csv.DictReader(f)]

    model = loom.load(model_file)
    data = loom.open_dataset(model, data_file, batch=32)
    assert data.batches_per_epoch >= 10  # so that the log has a row per step
    m = model.compile(batch=32, threads=1, vocab=data.vocab)
    losses = [m.train_step(*data.batch(0, i)) for i in range(STEPS)]
    assert len(logged) == STEPS
    np.testing.assert_allclose(losses, logged, rtol=2e-6)  # the log's 6 digits
    trained = loom.load_checkpoint(ckpt, batch=32, threads=1).state_dict()
    for name, value in m.state_dict().items():
        assert np.array_equal(value, trained[name]), name


def test_int32_token_ids_are_widened(root):
    m = loom.load(str(root / "examples" / "sentiment_lstm.pbtxt")).compile(batch=2, threads=1)
    tokens = np.arange(100, dtype=np.int64).reshape(2, 50)
    assert np.array_equal(m.forward(tokens.astype(np.int32)), m.forward(tokens))
    try:
        m.forward(np.full((2, 50), 10000))
    except ValueError as e:
        assert "token id 10000 (element 0) is out of range for layer 'embedding' (10000 ids)" in str(e)
    else:
        raise AssertionError("an out-of-range token id was accepted")
