import numpy as np
import scipy.io

from nn import *
from util import *

train_x = scipy.io.loadmat('../data/nist36_train.mat')['train_data']
valid_x = scipy.io.loadmat('../data/nist36_valid.mat')['valid_data']

max_iters = 100
batch_size = 36
learning_rate = 3e-5

params = {}
# YOUR CODE HERE (3.1.1): layers 1024-32-32-32-1024, ReLU inside, a sigmoid at the output.
# YOUR CODE HERE (3.1.2): a zero momentum accumulator for every parameter in params.

for itr in range(max_iters):
    total_loss = 0
    # YOUR CODE HERE: for each batch, forward, total squared error, backwards, and the
    # momentum update M = 0.9 M - learning_rate * grad; W = W + M.
    if itr % 10 == 0:
        print("itr: {:02d} \t loss: {:.2f}".format(itr, total_loss))

# YOUR CODE HERE (3.2.2, 3.2.3): reconstructions of validation images and their average PSNR.
