"""loom.from_torch: a torch.nn module as a Loom model description, weights included.

torch is imported only here, when from_torch is called: `import loom` works without it.
"""

_RECURRENT = {"RNN": "rnn", "LSTM": "lstm", "GRU": "gru"}


def _leaves(module, prefix=""):
    """(state_dict prefix, module) for each layer, nn.Sequential flattened."""
    import torch
    if isinstance(module, torch.nn.Sequential):
        for name, child in module.named_children():
            yield from _leaves(child, f"{prefix}{name}.")
    else:
        yield prefix, module


def _refuse(where, what):
    raise NotImplementedError(f"from_torch: {where} with {what} is not supported")


def from_torch(module, seq_len, *, batch_first=None, lengths=False, loss=None, name=None):
    """The torch.nn module `module` as a loom.Model, its weights copied by state_dict name.

    module:      torch.nn.RNN, LSTM, GRU, Embedding, Linear or Dropout, or an nn.Sequential
                 of them; in a Sequential a recurrent layer hands on its output sequence.
                 A recurrent module alone returns (output, h_n[, c_n]) as PyTorch's does.
    seq_len:     the time steps of the input (compiled code has static shapes).
    batch_first: the input's layout; default: the recurrent layers' batch_first.
    lengths:     add an int64 input "lengths" [batch]: padded steps are skipped, as with
                 pack_padded_sequence (and left out of the loss).
    loss:        "mse", "bce_with_logits" or "cross_entropy" on the last output, with an
                 input "target"; train with compile(optimizer=..., lr=...).

    The input is "input": int64 token ids [batch, seq_len] (or [seq_len, batch]) when the
    first layer is an Embedding, else float32 [batch, seq_len, features].
    """
    import torch
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch takes a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(seq_len, int) or seq_len < 1:
        raise ValueError(f"seq_len must be a positive int, got {seq_len!r}")
    if loss not in (None, "mse", "bce_with_logits", "cross_entropy"):
        raise ValueError(f"loss must be None, 'mse', 'bce_with_logits' or 'cross_entropy', got {loss!r}")
    leaves = list(_leaves(module))
    if not leaves:
        raise ValueError("from_torch: an empty nn.Sequential")
    recurrent = [m for _, m in leaves if type(m).__name__ in _RECURRENT]
    layouts = {m.batch_first for m in recurrent}
    if len(layouts) > 1:
        raise ValueError("from_torch: the recurrent layers disagree on batch_first")
    if batch_first is None:
        batch_first = layouts.pop() if layouts else True
    if loss is not None and lengths and not batch_first:
        # Loom's loss leaves padded steps out of batch-first sequences only.
        raise ValueError("from_torch: a loss with lengths needs batch_first=True")
    elif layouts and layouts != {bool(batch_first)}:
        raise ValueError(f"from_torch: batch_first={batch_first}, but the recurrent layers' is {layouts.pop()}")

    alone = len(leaves) == 1 and type(leaves[0][1]).__name__ in _RECURRENT
    layers, torch_names, values = [], {}, {}
    value, features, dtype = "input", None, "F32"
    for index, (prefix, m) in enumerate(leaves):
        kind = type(m).__name__
        where = f"{kind} '{prefix[:-1]}'" if prefix else kind  # "LSTM '1'": a Sequential's second
        layer = _RECURRENT.get(kind, kind.lower()) + ("" if alone else str(index))
        if isinstance(m, torch.nn.Embedding):
            if index != 0:
                raise ValueError("from_torch: an Embedding must come first (it reads token ids)")
            if m.padding_idx is not None or m.max_norm is not None or m.sparse:
                _refuse(where, "padding_idx, max_norm or sparse")
            dtype = "I64"
            features = m.embedding_dim
            body = f"embedding {{ num_embeddings: {m.num_embeddings} embedding_dim: {m.embedding_dim} }}"
        elif isinstance(m, torch.nn.Linear):
            features = features if features is not None else m.in_features
            if features != m.in_features:
                raise ValueError(f"from_torch: {where} takes {m.in_features} features, gets {features}")
            body = (f"linear {{ in_features: {m.in_features} out_features: {m.out_features}"
                    f"{' no_bias: true' if m.bias is None else ''} }}")
            features = m.out_features
        elif kind in _RECURRENT:
            if getattr(m, "proj_size", 0):
                _refuse(where, "proj_size")
            features = features if features is not None else m.input_size
            if features != m.input_size:
                raise ValueError(f"from_torch: {where} takes {m.input_size} features, gets {features}")
            options = [f"input_size: {m.input_size}", f"hidden_size: {m.hidden_size}", f"num_layers: {m.num_layers}",
                       f"dropout: {m.dropout}", f"bidirectional: {str(m.bidirectional).lower()}",
                       f"batch_first: {str(bool(batch_first)).lower()}"]
            options += ["no_bias: true"] if not m.bias else []
            options += ['lengths: "lengths"'] if lengths else []
            options += [f'nonlinearity: "{m.nonlinearity}"'] if kind == "RNN" else []
            body = f"{_RECURRENT[kind]} {{ {' '.join(options)} }}"
            features = m.hidden_size * (2 if m.bidirectional else 1)
        elif isinstance(m, torch.nn.Dropout):
            body = f"dropout {{ p: {m.p} }}"
        else:
            raise NotImplementedError(f"from_torch: {where} is not supported; Loom takes RNN, LSTM, GRU, Embedding, "
                                      "Linear, Dropout and nn.Sequential")
        layers.append(f'layer {{ name: "{layer}" inputs: "{value}" {body} }}')
        for key, tensor in m.state_dict().items():
            torch_names[f"{layer}.{key}"] = prefix + key
            values[f"{layer}.{key}"] = tensor.detach().cpu().numpy()
        value = layer
    if features is None:
        raise ValueError("from_torch: the input's features are unknown (a Dropout alone)")

    first = leaves[0][1]
    in_features = None if dtype == "I64" else (first.input_size if type(first).__name__ in _RECURRENT
                                                 else first.in_features)
    seq_shape = [-1, seq_len] if batch_first else [seq_len, -1]
    shape = seq_shape + ([] if in_features is None else [in_features])
    text = [f'name: "{name or type(module).__name__}"',
            f'input {{ name: "input" dtype: {dtype} shape: {shape} }}']
    if lengths:
        text.append('input { name: "lengths" dtype: I64 shape: [-1] }')
    outputs = [value, f"{value}.h_n"] + ([f"{value}.c_n"] if isinstance(first, torch.nn.LSTM) else []) if alone \
        else [value]
    if loss is not None:
        target = seq_shape + ([] if loss == "cross_entropy" else [features])
        target_type = "I64" if loss == "cross_entropy" else "F32"
        text.append(f'input {{ name: "target" dtype: {target_type} shape: {target} }}')
    text += layers
    text += [f'output: "{o}"' for o in outputs]
    if loss is not None:
        masked = ' lengths: "lengths"' if lengths and batch_first else ""
        text.append(f'loss {{ input: "{value}" target: "target" {loss}: true{masked} }}')
    from . import parse
    return parse("\n".join(text) + "\n", f"from_torch({type(module).__name__})", torch_names, values)
