"""Loom: recurrent networks compiled to native code, from Python.

    import loom
    model = loom.load("examples/sentiment_lstm.pbtxt")   # or "m.onnx", or loom.from_torch(module, seq_len)
    m = model.compile(batch=32)                          # native code for this machine
    logits = m.forward(tokens)                           # numpy in, numpy out
    loss = m.train_step(tokens, labels)                  # one optimizer step
    grads = m.grad(tokens, labels)                       # gradients, no update
    m.save("model.ckpt")                                 # `loom train`'s checkpoint format

Parameters have PyTorch's state_dict names (m.state_dict(), m.load_state_dict(d)).
Compiled code runs with the GIL released; a compiled model runs one call at a time.
"""
from typing import Dict, List, NamedTuple, Optional

import numpy as _np

from ._loom import (CompiledModel, Dataset, Model, Session, __version__, load, load_checkpoint,  # noqa: F401
                    open_dataset, parse)
from .torch_import import from_torch  # noqa: F401


class Gradients(NamedTuple):
    """What CompiledModel.grad returns.

    value:      the loss, or with grad_outputs the sum of outputs times cotangents
    parameters: each parameter's gradient, by state_dict name
    inputs:     each input's gradient, in order (None for token ids and lengths)
    flows:      per recurrent layer ("lstm.l0", "lstm.l1_reverse"), ‖∂L/∂h_t‖ for each step t
    """
    value: float
    parameters: Dict[str, _np.ndarray]
    inputs: List[Optional[_np.ndarray]]
    flows: Dict[str, _np.ndarray]


def grad_flow(model: CompiledModel, *batch, **named) -> Dict[str, _np.ndarray]:
    """‖∂L/∂h_t‖ — the norm of the loss's gradient with respect to the recurrent state at
    step t — for every step of every recurrent layer, on one batch (every input, the
    target included): how far the gradient reaches back in time, as `loom gradflow` plots."""
    return model.grad(*batch, **named).flows


__all__ = ["CompiledModel", "Dataset", "Gradients", "Model", "Session", "from_torch", "grad_flow", "load",
           "load_checkpoint", "open_dataset", "parse"]
