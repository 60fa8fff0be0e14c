import copy

import numpy as np

from nn import *
from util import *

# Four classes: points around the corners of a square.
corners = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0], [3.0, 3.0]])
x = np.concatenate([c + 0.6 * np.random.randn(10, 2) for c in corners])
labels = np.repeat(np.arange(4), 10)
y = np.zeros((x.shape[0], 4))
y[np.arange(x.shape[0]), labels] = 1

params = {}
initialize_weights(2, 25, params, 'layer1')
initialize_weights(25, 4, params, 'output')

max_iters = 500
batch_size = 5
learning_rate = 1e-3
batches = get_random_batches(x, y, batch_size)

for itr in range(max_iters):
    total_loss, total_acc = 0.0, 0.0
    for xb, yb in batches:
        h1 = forward(xb, params, 'layer1')
        probs = forward(h1, params, 'output', softmax)
        loss, acc = compute_loss_and_acc(yb, probs)
        total_loss += loss
        total_acc += acc / len(batches)
        delta = backwards(probs - yb, params, 'output', linear_deriv)
        backwards(delta, params, 'layer1', sigmoid_deriv)
        for k in ['Wlayer1', 'blayer1', 'Woutput', 'boutput']:
            params[k] = params[k] - learning_rate * params['grad_' + k]
    if itr % 100 == 0:
        print("itr: {:02d} \t loss: {:.2f} \t acc : {:.2f}".format(itr, total_loss, total_acc))

# 1.5.1 numerical gradient check: analytic gradients on all the data first
h1 = forward(x, params, 'layer1')
probs = forward(h1, params, 'output', softmax)
delta = backwards(probs - y, params, 'output', linear_deriv)
backwards(delta, params, 'layer1', sigmoid_deriv)

params_orig = copy.deepcopy(params)
eps = 1e-6
for k, v in params.items():
    if '_' in k:
        continue
    numeric = np.zeros_like(v)
    for index in np.ndindex(v.shape):
        kept = v[index]
        v[index] = kept + eps
        above, _ = compute_loss_and_acc(y, forward(forward(x, params, 'layer1'), params, 'output', softmax))
        v[index] = kept - eps
        below, _ = compute_loss_and_acc(y, forward(forward(x, params, 'layer1'), params, 'output', softmax))
        v[index] = kept
        numeric[index] = (above - below) / (2 * eps)
    params['grad_' + k] = numeric

total_error = 0
for k in params.keys():
    if 'grad_' in k:
        err = np.abs(params[k] - params_orig[k]) / np.maximum(np.abs(params[k]), np.abs(params_orig[k]))
        print('{} {:e}'.format(k, err.sum()))
        total_error += err.sum()
print('total {:e}'.format(total_error))
