import numpy as np
import scipy.io

from nn import *
from util import *

train_x = scipy.io.loadmat('../data/nist36_train.mat')['train_data']
valid_x = scipy.io.loadmat('../data/nist36_valid.mat')['valid_data']

max_iters = 100
batch_size = 36
learning_rate = 3e-5
names = ['layer1', 'layer2', 'layer3', 'output']

# 3.1.1 1024-32-32-32-1024: ReLU inside, a sigmoid at the output
params = {}
for name, (n_in, n_out) in zip(names, [(1024, 32), (32, 32), (32, 32), (32, 1024)]):
    initialize_weights(n_in, n_out, params, name)
# 3.1.2 a zero momentum accumulator for every parameter
for k in list(params.keys()):
    params['m_' + k] = np.zeros_like(params[k])

losses = []
for itr in range(max_iters):
    total_loss = 0
    for xb, _ in get_random_batches(train_x, np.zeros((train_x.shape[0], 1)), batch_size):
        h1 = forward(xb, params, 'layer1', relu)
        h2 = forward(h1, params, 'layer2', relu)
        h3 = forward(h2, params, 'layer3', relu)
        out = forward(h3, params, 'output', sigmoid)
        total_loss += np.sum((out - xb) ** 2)
        delta = backwards(2 * (out - xb), params, 'output', sigmoid_deriv)
        delta = backwards(delta, params, 'layer3', relu_deriv)
        delta = backwards(delta, params, 'layer2', relu_deriv)
        backwards(delta, params, 'layer1', relu_deriv)
        for name in names:
            for p in ('W', 'b'):
                k = p + name
                params['m_' + k] = 0.9 * params['m_' + k] - learning_rate * params['grad_' + k]
                params[k] = params[k] + params['m_' + k]
    losses.append(total_loss)
    if itr % 10 == 0:
        print("itr: {:02d} \t loss: {:.2f}".format(itr, total_loss))

# 3.2.3 PSNR over the validation images (pixel values in [0, 1])
recon = forward(forward(forward(forward(valid_x, params, 'layer1', relu), params, 'layer2', relu),
                        params, 'layer3', relu), params, 'output', sigmoid)
mse = np.mean((recon - valid_x) ** 2, axis=1)
print('average PSNR', np.mean(20 * np.log10(1.0) - 10 * np.log10(mse)))
