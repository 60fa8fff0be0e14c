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


def nng_adam(parameters, learning_rate, betas=(0.9, 0.999), eps=1e-8):
    """Adam as torch.optim.Adam computes it (defaults, no weight decay), written out: the
    first torch.optim optimiser in a process imports torch._dynamo, seconds a check does not
    need. Returns step(), which updates the parameters from their .grad."""
    import torch

    first = [torch.zeros_like(p) for p in parameters]
    second = [torch.zeros_like(p) for p in parameters]
    count = [0]

    def step():
        count[0] += 1
        correction1 = 1 - betas[0] ** count[0]
        correction2 = 1 - betas[1] ** count[0]
        with torch.no_grad():
            for p, m, v in zip(parameters, first, second, strict=True):
                if p.grad is None:
                    continue
                m.mul_(betas[0]).add_(p.grad, alpha=1 - betas[0])
                v.mul_(betas[1]).addcmul_(p.grad, p.grad, value=1 - betas[1])
                denominator = (v.sqrt() / correction2 ** 0.5).add_(eps)
                p.addcdiv_(m, denominator, value=-learning_rate / correction1)

    return step


def nng_sgd(parameters, learning_rate):
    """Plain gradient descent: step() moves each parameter against its .grad."""
    import torch

    def step():
        with torch.no_grad():
            for p in parameters:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-learning_rate)

    return step


def _nng_batch_inputs(rows, dtype, shape, upscale):
    """Rows of examples as the model's input tensor: each row reshaped to `shape` (when
    given), its last two axes enlarged `upscale` times (each value a block), so small images
    cross the wire and large ones train."""
    import torch

    array = np.asarray(rows)
    if upscale > 1:
        small = [*shape[:-2], shape[-2] // upscale, shape[-1] // upscale]
        array = array.reshape((len(array), *small))
        array = array.repeat(upscale, axis=-2).repeat(upscale, axis=-1)
    tensor = torch.as_tensor(array)
    tensor = tensor.long() if dtype == "long" else tensor.float()
    return tensor.reshape((len(array), *shape)) if shape else tensor


def nng_module_train(model, x, targets, valid_x, setup):
    """The grader's short training of a copy of the model (the notebook's own is left as it
    is): setup['steps'] steps of setup['optimiser'] ('adam' or 'sgd') on setup['loss']
    ('cross_entropy', 'mse', 'bce_with_logits') over random batches of (x, targets). Returns
    {'losses': the loss of each step, 'outputs': the copy's outputs on valid_x}; the grader
    scores them."""
    import copy

    import torch

    torch.manual_seed(setup["seed"])
    model = copy.deepcopy(model)
    shape, dtype, upscale = setup["shape"], setup["dtype"], setup["upscale"]
    inputs = _nng_batch_inputs(x, dtype, shape, upscale)
    wanted = torch.as_tensor(np.asarray(targets))
    wanted = wanted.long() if setup["loss"] == "cross_entropy" else wanted.float()
    loss_fn = {"cross_entropy": torch.nn.functional.cross_entropy,
               "mse": torch.nn.functional.mse_loss,
               "bce_with_logits": torch.nn.functional.binary_cross_entropy_with_logits
               }[setup["loss"]]
    parameters = [p for p in model.parameters() if p.requires_grad]
    make = nng_adam if setup["optimiser"] == "adam" else nng_sgd
    step = make(parameters, setup["learning_rate"])
    generator = torch.Generator().manual_seed(setup["seed"])
    losses = []
    model.train()
    for _ in range(int(setup["steps"])):
        rows = torch.randint(0, len(inputs), (int(setup["batch_size"]),), generator=generator)
        model.zero_grad(set_to_none=True)
        out = model(inputs[rows])
        out = out[0] if isinstance(out, (tuple, list)) else out
        target = wanted[rows]
        if setup["loss"] != "cross_entropy":
            out, target = out.reshape(len(rows), -1), target.reshape(len(rows), -1)
        loss = loss_fn(out, target)
        loss.backward()
        step()
        losses.append(float(loss.detach()))
    model.eval()
    with torch.no_grad():
        out = model(_nng_batch_inputs(valid_x, dtype, shape, upscale))
        out = out[0] if isinstance(out, (tuple, list)) else out
    return {"losses": losses, "outputs": out.detach().double().numpy()}
