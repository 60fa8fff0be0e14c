import copy

import numpy as np

from nn import *
from util import *

# Toy data: four classes of points in the plane, labels one-hot.
corners = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0], [3.0, 3.0]])
x = np.concatenate([c + 0.6 * np.random.randn(10, 2) for c in corners])
y = np.zeros((x.shape[0], 4))
y[np.arange(x.shape[0]), np.repeat(np.arange(4), 10)] = 1

params = {}
initialize_weights(2, 25, params, 'layer1')
initialize_weights(25, 4, params, 'output')

max_iters = 500
batch_size = 5
learning_rate = 1e-3
batches = get_random_batches(x, y, batch_size)
for itr in range(max_iters):
    total_loss, avg_acc = 0, 0
    for xb, yb in batches:
        # YOUR CODE HERE (1.4.1): forward, loss, backwards, then a gradient step on each weight
        pass
    if itr % 100 == 0:
        print("itr: {:02d} \t loss: {:.2f} \t acc : {:.2f}".format(itr, total_loss, avg_acc))

# 1.5.1 Numerical gradient check. Compute the analytic gradients on all of x first; they are
# kept in params_orig. Then, for every weight k, store your central differences of the total
# loss in params['grad_' + k] (one entry at a time, restoring it afterwards).
params_orig = copy.deepcopy(params)
eps = 1e-6
for k, v in params.items():
    if '_' in k:
        continue
    # YOUR CODE HERE

total_error = 0
for k in params.keys():
    if 'grad_' in k:
        err = np.abs(params[k] - params_orig[k]) / np.maximum(np.abs(params[k]), np.abs(params_orig[k]))
        print('{} {:e}'.format(k, err.sum()))
        total_error += err.sum()
print('total {:e}'.format(total_error))
