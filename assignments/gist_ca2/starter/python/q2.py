import numpy as np
import scipy.io

from nn import *

train_data = scipy.io.loadmat('../data/nist36_train.mat')
valid_data = scipy.io.loadmat('../data/nist36_valid.mat')
train_x, train_y = train_data['train_data'], train_data['train_labels']
valid_x, valid_y = valid_data['valid_data'], valid_data['valid_labels']

max_iters = 30
batch_size = None      # YOUR CHOICE (2.1.1)
learning_rate = None   # YOUR CHOICE (2.1.1)
hidden_size = 64

params = {}
# YOUR CODE HERE: initialise both layers, train, then plot accuracy and loss per epoch (2.1.2),
# try three learning rates (2.1.3), show the first layer's weights (2.1.4) and the confusion
# matrix (2.1.5).
