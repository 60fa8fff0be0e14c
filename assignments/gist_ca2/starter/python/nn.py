import numpy as np
from util import *
# Write your code inside the functions only: the scripts import this module.


# 1.1.2 Xavier initialisation. W is (in_size, out_size); b is a 1-D vector of zeros.
# Store them as params['W' + name] and params['b' + name]; the rows of X are examples.
def initialize_weights(in_size, out_size, params, name=''):
    W, b = None, None
    # YOUR CODE HERE
    params['W' + name] = W
    params['b' + name] = b


# 1.2.1 the sigmoid of every entry of x
def sigmoid(x):
    res = None
    # YOUR CODE HERE
    return res


def forward(X, params, name='', activation=sigmoid):
    """One layer, activation(X W + b). Keep (X, pre_act, post_act) in params['cache_' + name]:
    backwards reads them."""
    pre_act, post_act = None, None
    W = params['W' + name]
    b = params['b' + name]
    # YOUR CODE HERE
    params['cache_' + name] = (X, pre_act, post_act)
    return post_act


# 1.2.4 softmax of each row of x (shift by the row's maximum first)
def softmax(x):
    res = None
    # YOUR CODE HERE
    return res


# 1.2.5 total cross-entropy over the examples, and the fraction classified right.
# y and probs are (examples, classes).
def compute_loss_and_acc(y, probs):
    loss, acc = None, None
    # YOUR CODE HERE
    return loss, acc


# Given: the derivative of the sigmoid, as a function of its output.
def sigmoid_deriv(post_act):
    return post_act * (1.0 - post_act)


# 1.3.1 Store params['grad_W' + name] and params['grad_b' + name]; return the gradient of X.
def backwards(delta, params, name='', activation_deriv=sigmoid_deriv):
    grad_X, grad_W, grad_b = None, None, None
    W = params['W' + name]
    b = params['b' + name]
    X, pre_act, post_act = params['cache_' + name]
    # YOUR CODE HERE
    params['grad_W' + name] = grad_W
    params['grad_b' + name] = grad_b
    return grad_X


# 1.4.1 split x and y into random batches: a list [(batch1_x, batch1_y), ...]
def get_random_batches(x, y, batch_size):
    batches = []
    # YOUR CODE HERE
    return batches
