"""Runs INSIDE the student's kernel (sent as source): the grader's helpers for mlp_numpy.

Plain code with no secrets: activation derivatives the grader passes to the student's
functions, and the grader's own training loops driven by the student's functions. The grader
scores what comes back; nothing here decides a mark.
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
