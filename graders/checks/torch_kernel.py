"""Grader helpers for PyTorch models, sent into the student's kernel with the `define` op.

Plain code with no secrets: run a model on the grader's probe batch, and list the operations its
forward pass performs (torch.fx), so architecture checks see functional calls (F.selu) as well
as layers. Results go back as data.
"""

import numpy as np

_LAYER_ATTRS = ("in_features", "out_features", "in_channels", "out_channels", "kernel_size",
                "stride", "padding", "num_embeddings", "embedding_dim", "input_size",
                "hidden_size", "num_layers", "batch_first")


def nng_torch_forward(model, x, shape, dtype="float32"):
    import torch

    with torch.no_grad():
        inputs = torch.as_tensor(np.asarray(x)).reshape(shape)
        inputs = inputs.long() if dtype == "long" else inputs.float()
        out = model(inputs)
        if isinstance(out, (tuple, list)):
            out = out[0]
        return out.detach().double().numpy()


def nng_torch_ops(model):
    """[{'op': name, layer attributes...}] in the order forward runs them; None when torch.fx
    cannot trace the model (data-dependent control flow)."""
    import torch.fx

    try:
        graph = torch.fx.symbolic_trace(model).graph
    except Exception:
        return None
    modules = dict(model.named_modules())
    ops = []
    for node in graph.nodes:
        if node.op == "call_module":
            layer = modules[node.target]
            info = {"op": type(layer).__name__}
            for attr in _LAYER_ATTRS:
                value = getattr(layer, attr, None)
                if isinstance(value, (int, str)) or (
                        isinstance(value, tuple) and all(isinstance(v, int) for v in value)):
                    info[attr] = list(value) if isinstance(value, tuple) else value
            ops.append(info)
        elif node.op in ("call_function", "call_method"):
            info = {"op": getattr(node.target, "__name__", str(node.target))}
            ints = [a for a in node.args[1:] if isinstance(a, int)]
            if isinstance(node.kwargs.get("kernel_size"), int):
                ints.insert(0, node.kwargs["kernel_size"])
            if ints:
                info["kernel_size"] = ints[0]
            ops.append(info)
    return ops


def nng_torch_value(function, *arrays):
    """function(*float64 tensors) as a float (None when it is not a number)."""
    import torch

    value = function(*(torch.tensor(np.asarray(a), dtype=torch.float64) for a in arrays))
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):
        return None


def nng_torch_gradients(function, *arrays):
    """{'value', 'grads'}: the function's value and its autograd gradient for each input
    (None where no gradient reached that input)."""
    import torch

    inputs = [torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=True)
              for a in arrays]
    value = function(*inputs)
    if not isinstance(value, torch.Tensor) or not value.requires_grad:
        return {"value": None if value is None else float(value), "grads": None}
    value.backward()
    return {"value": float(value.detach()),
            "grads": [None if t.grad is None else t.grad.numpy() for t in inputs]}
