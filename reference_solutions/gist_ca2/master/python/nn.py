import numpy as np
from util import *


# 1.1.2 Xavier: uniform on +-sqrt(6 / (in + out)), variance 2 / (in + out)
def initialize_weights(in_size, out_size, params, name=''):
    bound = np.sqrt(6.0 / (in_size + out_size))
    params['W' + name] = np.random.uniform(-bound, bound, (in_size, out_size))
    params['b' + name] = np.zeros(out_size)


# 1.2.1
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def forward(X, params, name='', activation=sigmoid):
    W = params['W' + name]
    b = params['b' + name]
    pre_act = X @ W + b
    post_act = activation(pre_act)
    params['cache_' + name] = (X, pre_act, post_act)
    return post_act


# 1.2.4: each row shifted by its own maximum
def softmax(x):
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


# 1.2.5: total cross-entropy and the fraction classified right
def compute_loss_and_acc(y, probs):
    loss = -np.sum(y * np.log(probs))
    acc = np.mean(np.argmax(y, axis=1) == np.argmax(probs, axis=1))
    return loss, acc


def sigmoid_deriv(post_act):
    return post_act * (1.0 - post_act)


# 1.3.1
def backwards(delta, params, name='', activation_deriv=sigmoid_deriv):
    W = params['W' + name]
    X, pre_act, post_act = params['cache_' + name]
    through = delta * activation_deriv(post_act)
    params['grad_W' + name] = X.T @ through
    params['grad_b' + name] = through.sum(axis=0)
    return through @ W.T


# 1.4.1: a new random split into batches on every call
def get_random_batches(x, y, batch_size):
    order = np.random.permutation(x.shape[0])
    return [(x[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, x.shape[0], batch_size)]
