import numpy as np
import scipy.io

from nn import *

train_data = scipy.io.loadmat('../data/nist36_train.mat')
valid_data = scipy.io.loadmat('../data/nist36_valid.mat')
train_x, train_y = train_data['train_data'], train_data['train_labels']
valid_x, valid_y = valid_data['valid_data'], valid_data['valid_labels']

max_iters = 30
batch_size = 32
learning_rate = 2e-3
hidden_size = 64

params = {}
initialize_weights(train_x.shape[1], hidden_size, params, 'layer1')
initialize_weights(hidden_size, train_y.shape[1], params, 'output')

for itr in range(max_iters):
    for xb, yb in get_random_batches(train_x, train_y, batch_size):
        h1 = forward(xb, params, 'layer1')
        probs = forward(h1, params, 'output', softmax)
        delta = backwards(probs - yb, params, 'output', linear_deriv)
        backwards(delta, params, 'layer1', sigmoid_deriv)
        for k in ['Wlayer1', 'blayer1', 'Woutput', 'boutput']:
            params[k] = params[k] - learning_rate * params['grad_' + k]

valid_probs = forward(forward(valid_x, params, 'layer1'), params, 'output', softmax)
_, valid_acc = compute_loss_and_acc(valid_y, valid_probs)
print('Validation accuracy: ', valid_acc)
