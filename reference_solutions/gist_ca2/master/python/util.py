"""Activation functions for the mlp_numpy handout (import with `from util import *`).

Each *_deriv takes the layer's post-activation output, as `backwards` passes it.
"""

import numpy as np


def linear(x):
    return x


def linear_deriv(post_act):
    return np.ones_like(post_act)


def tanh(x):
    return np.tanh(x)


def tanh_deriv(post_act):
    return 1.0 - post_act ** 2


def relu(x):
    return np.maximum(x, 0)


def relu_deriv(post_act):
    return (post_act > 0).astype(np.float64)
