"""Runs INSIDE the student's kernel (sent as source with the `define` op): helpers of the generic
kinds `trained` and `module`. Plain code with no secrets: it repeats the student's calls, seeds
their random generators and runs their models. What comes back is data; nothing here decides.
"""

import sys

import numpy as np


def nng_seed(seed):
    """Seed the generators a student's code may draw from: numpy's, random's, torch's."""
    import random

    np.random.seed(seed % 2**32)
    random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def nng_repeat(function, times, *args, **kwargs):
    """Call function(*args, **kwargs) `times` times (the grader's own training loop); the
    numbers it returned, or None where it returned something else."""
    returned = []
    for _ in range(int(times)):
        value = function(*args, **kwargs)
        try:
            returned.append(float(value))
        except (TypeError, ValueError, RuntimeError):
            returned.append(None)
    return returned


def nng_repeat_replacing(function, times, index, args, kwargs):
    """The grader's training loop for a step that may return its update: call
    function(*args, **kwargs) `times` times; a result of the same type and shape as args[index]
    (the new parameters, `return w - lr * grad`) replaces it for the next call, anything else (a
    loss, None after an update in place) leaves it. Returns args[index] at the end."""
    args = list(args)
    for _ in range(int(times)):
        value = function(*args, **kwargs)
        current = args[index]
        if value is not None and type(value) is type(current) \
                and np.shape(value) == np.shape(current):
            args[index] = value
    return args[index]


def nng_module_try_forward(model, x, shape, dtype):
    """{'shape': the output's shape on the probe batch}, or {'error': what the model raised}:
    what the grader chooses a notebook's model by."""
    try:
        return {"shape": list(np.shape(nng_torch_forward(model, x, shape, dtype)))}  # noqa: F821
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


def nng_module_label(model):
    """{'found', 'name' (the notebook global holding it, else ''), 'type'}."""
    from IPython import get_ipython

    if model is None:
        return {"found": False, "name": "", "type": ""}
    names = [n for n, v in get_ipython().user_ns.items() if v is model and not n.startswith("_")]
    torch = sys.modules.get("torch")
    return {"found": True, "name": names[0] if names else "", "type": type(model).__name__,
            "is_module": torch is not None and isinstance(model, torch.nn.Module)}


def nng_module_forward(model, x, shape, dtype):
    """The model's output on the probe batch (None when there is no model)."""
    if model is None or "torch" not in sys.modules \
            or not isinstance(model, sys.modules["torch"].nn.Module):
        return None
    return nng_torch_forward(model, x, shape, dtype)  # noqa: F821 torch_kernel.py
