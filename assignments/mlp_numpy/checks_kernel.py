"""Runs INSIDE the student's kernel (sent as source): the grader's helpers for mlp_numpy.

Plain code with no secrets: activation derivatives the grader passes to the student's
functions, the grader's own training loops driven by the student's functions, and torch glue.
The grader scores what comes back; nothing here decides a mark.
"""

import numpy as np


def nng_linear_deriv(post_act):
    return np.ones_like(post_act)


def nng_tanh_deriv(post_act):
    return 1.0 - post_act ** 2


def nng_relu_deriv(post_act):
    return (post_act > 0).astype(float)


def nng_sigmoid_deriv(post_act):
    return post_act * (1.0 - post_act)


def nng_probe_loss(params):
    """A smooth loss of params['W'] and params['b'] with a known gradient (see the grader)."""
    w, b = params["W"], params["b"]
    rows, cols = w.shape
    weights = np.arange(1, rows * cols + 1).reshape(rows, cols) / (rows * cols)
    return float(np.sum(np.sin(w) * weights) + np.sum(b ** 3) / 3.0 + np.sum(w) * np.sum(b))


def nng_train_numpy(forward, backwards, softmax, sigmoid, params, x, y, batches, learning_rate,
                    linear_deriv=nng_linear_deriv, sigmoid_deriv=nng_sigmoid_deriv):
    """Plain SGD on a sigmoid-hidden, softmax-output network made of the student's functions
    (and the derivatives the course's scripts pass)."""
    for rows in batches:
        xb, yb = x[rows], y[rows]
        hidden = forward(xb, params, "layer1", sigmoid)
        probs = forward(hidden, params, "output", softmax)
        delta = backwards(probs - yb, params, "output", linear_deriv)
        backwards(delta, params, "layer1", sigmoid_deriv)
        for key in ("Wlayer1", "blayer1", "Woutput", "boutput"):
            step = np.reshape(params["grad_" + key], np.shape(params[key]))
            params[key] = params[key] - learning_rate * step
    return {k: params[k] for k in ("Wlayer1", "blayer1", "Woutput", "boutput")}


def nng_enlarge(x, block):
    """8x8 images (rows of 64) to (8*block)x(8*block), each pixel a block: less to send."""
    if block == 1:
        return x
    images = np.kron(x.reshape(-1, 8, 8), np.ones((1, block, block)))
    return images.reshape(len(x), -1)


def nng_adam(parameters, learning_rate, betas=(0.9, 0.999), eps=1e-8):
    """Adam as torch.optim.Adam computes it (defaults, no weight decay), written out: the
    first torch.optim optimiser in a process imports torch._dynamo, seconds the check does not
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


def nng_torch_train(model, x, labels, valid_x, shape, steps, batch, learning_rate, seed,
                    block=1):
    """Adam on cross-entropy for a fixed number of steps; returns the outputs on valid_x."""
    import torch

    x, valid_x = nng_enlarge(x, block), nng_enlarge(valid_x, block)
    torch.manual_seed(seed)
    inputs = torch.as_tensor(x, dtype=torch.float32).reshape((-1, *shape))
    targets = torch.as_tensor(labels, dtype=torch.long)
    step = nng_adam(list(model.parameters()), learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        rows = torch.randint(0, len(inputs), (batch,), generator=generator)
        model.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs[rows]), targets[rows])
        loss.backward()
        step()
    model.eval()
    with torch.no_grad():
        held = torch.as_tensor(valid_x, dtype=torch.float32).reshape((-1, *shape))
        return model(held).detach().double().numpy()

