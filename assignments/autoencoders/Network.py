"""Network.py: the layered network the autoencoder question builds on (handout module).

Written for this course's autograder with the interface of the original handout, so notebooks
written against it run unchanged:

    net = Network.Network([784, 50, 3, 50, 784], type='Bernoulli')
    net.SGD(inputs, targets, lrate=0.5, epochs=20, batch_size=10)
    codes = ...; net.FeedForward(x); net.lyr[2].h       # activity of the middle layer
    y = net.FeedForwardFrom(2, codes)                   # decode from the middle layer
    net.Save('mine.net'); net = Network.Network.Load('autoencoder.net')

Samples are rows: a batch of inputs is an (n, N0) array and h = sigma(h_below @ W + b).
"""

import numpy as np

# ---------------------------------------------------------------- helpers


def OneHot(z):
    """Each row of z replaced by a one-hot row marking its largest entry."""
    z = np.asarray(z)
    out = np.zeros_like(z, dtype=float)
    out[np.arange(len(z)), np.argmax(z, axis=1)] = 1.0
    return out


def Shuffle(inputs, targets):
    """The same random permutation applied to inputs and targets."""
    order = np.random.permutation(len(inputs))
    return np.asarray(inputs)[order], np.asarray(targets)[order]


def MakeBatches(data_in, data_out, batch_size=10, shuffle=True):
    """A list of [inputs, targets] batches; the last one may be smaller."""
    data_in, data_out = np.asarray(data_in), np.asarray(data_out)
    order = np.random.permutation(len(data_in)) if shuffle else np.arange(len(data_in))
    return [[data_in[order[k:k + batch_size]], data_out[order[k:k + batch_size]]]
            for k in range(0, len(data_in), batch_size)]


# ---------------------------------------------------------------- losses (means over samples)


def CrossEntropy(y, t):
    """Mean Bernoulli cross entropy of outputs y in (0, 1) against targets t."""
    y = np.clip(y, 1e-12, 1 - 1e-12)
    return -np.sum(t * np.log(y) + (1.0 - t) * np.log(1.0 - y)) / len(t)


def gradCrossEntropy(y, t):
    y = np.clip(y, 1e-12, 1 - 1e-12)
    return (y - t) / (y * (1.0 - y)) / len(t)


def MSE(y, t):
    """Half the summed squared error, averaged over samples."""
    return 0.5 * np.sum((y - t) ** 2) / len(t)


def gradMSE(y, t):
    return (y - t) / len(t)


def CategoricalCE(outputs, t):
    return -np.sum(t * np.log(np.clip(outputs, 1e-12, None))) / len(t)


# ---------------------------------------------------------------- layers


class Layer():
    """A layer of N nodes: biases b, input currents z, activities h = sigma(z)."""

    def __init__(self, n_nodes=0, act='logistic'):
        self.N = n_nodes
        self.h = []
        self.z = []
        self.b = np.zeros(self.N)
        self.SetActivationFunction(act)

    def SetActivationFunction(self, act):
        table = {
            'logistic': (self.Logistic, self.Logistic_p),
            'identity': (self.Identity, self.Identity_p),
            'softmax': (self.Softmax, None),
            'ReLU': (self.ReLU, self.ReLU_p),
        }
        if act not in table:
            raise ValueError(f"unknown activation {act!r}; use one of {sorted(table)}")
        self.act_text = act
        self.sigma, self.sigma_p = table[act]

    def Save(self, fp):
        np.save(fp, self.N)
        np.save(fp, self.act_text)
        np.save(fp, self.b)

    def Load(self, fp):
        self.N = int(np.load(fp).item())
        act = str(np.load(fp))
        self.b = np.array(np.load(fp))
        self.SetActivationFunction(act)

    def Logistic(self):
        return 1.0 / (1.0 + np.exp(-self.z))

    def Logistic_p(self):
        return self.h * (1.0 - self.h)

    def Identity(self):
        return self.z

    def Identity_p(self):
        return np.ones_like(self.h)

    def ReLU(self):
        return np.maximum(self.z, 0.0)

    def ReLU_p(self):
        return (self.z > 0).astype(float)

    def Softmax(self):
        e = np.exp(self.z - np.max(self.z, axis=1, keepdims=True))
        return e / np.sum(e, axis=1, keepdims=True)


# ---------------------------------------------------------------- the network


class Network():
    """A stack of Layers joined by weight matrices W[k] (shape N_k x N_{k+1}).

    type sets the output layer and the loss: 'Bernoulli' (logistic, cross entropy),
    'classifier' (softmax, categorical cross entropy), 'regression' (identity, MSE).
    """

    def __init__(self, sizes=(), type='classifier'):
        """Network(sizes, type): one layer per entry of sizes (logistic hidden layers, the output
        layer as type says). Network() starts empty, for layers added with AddLayer."""
        self.n_layers = 0
        self.lyr = []
        self.W = []
        self.type = type
        self.output_activation = None
        self.SetCostFunction()
        self.cost_history = []
        sizes = list(sizes)
        for n in sizes[:-1]:
            self.AddLayer(Layer(n))
        if sizes:
            self.AddLayer(Layer(sizes[-1], act=self.output_activation))

    def AddLayer(self, layer):
        """Append a layer, with random weights from the layer below (if any)."""
        self.lyr.append(layer)
        self.n_layers += 1
        if self.n_layers >= 2:
            below = self.lyr[-2].N
            self.W.append(np.random.normal(size=(below, layer.N)) / np.sqrt(below))

    def SetCostFunction(self):
        losses = {'Bernoulli': (CrossEntropy, gradCrossEntropy, 'logistic'),
                  'classifier': (CategoricalCE, None, 'softmax'),
                  'regression': (MSE, gradMSE, 'identity')}
        if self.type not in losses:
            raise ValueError(f"unknown network type {self.type!r}; use one of {sorted(losses)}")
        self.Loss, self.gradLoss, self.output_activation = losses[self.type]

    def Save(self, fname):
        """Write the network to a file (a sequence of .npy records, no pickles)."""
        with open(fname, 'wb') as fp:
            np.save(fp, self.n_layers)
            np.save(fp, self.type)
            np.save(fp, self.output_activation)
            for layer in self.lyr:
                layer.Save(fp)
            for w in self.W:
                np.save(fp, w)

    @classmethod
    def Load(cls, fname):
        """net = Network.Network.Load('autoencoder.net'): a network read from a file."""
        with open(fname, 'rb') as fp:
            n_layers = int(np.load(fp).item())
            net = cls([1, 1])
            net.lyr, net.W, net.n_layers = [], [], 0
            net.type = str(np.load(fp))
            net.SetCostFunction()
            net.output_activation = str(np.load(fp))
            for _ in range(n_layers):
                layer = Layer()
                layer.Load(fp)
                net.lyr.append(layer)
                net.n_layers += 1
            net.W = [np.array(np.load(fp)) for _ in range(n_layers - 1)]
        return net

    def FeedForwardFrom(self, idx, h):
        """Set the activities of layer idx to h and run the layers above it; returns the
        output layer's activities."""
        self.lyr[idx].h = np.array(h, dtype=float)
        for below, above, w in zip(self.lyr[idx:-1], self.lyr[idx + 1:], self.W[idx:]):
            above.z = below.h @ w + above.b
            above.h = above.sigma()
        return self.lyr[-1].h

    def FeedForward(self, x):
        """Run the whole network on a batch x; returns the output layer's activities."""
        return self.FeedForwardFrom(0, np.asarray(x, dtype=float))

    def TopGradient(self, t):
        """dE/dz at the output layer for the targets t of the last FeedForward."""
        top = self.lyr[-1]
        if self.type in ('Bernoulli', 'classifier', 'regression'):
            return (top.h - t) / len(t)
        return self.gradLoss(top.h, t) * top.sigma_p()

    def BackProp(self, t, lrate=0.05):
        """One gradient step on the targets t of the last FeedForward."""
        dEdz = self.TopGradient(np.asarray(t, dtype=float))
        for k in range(self.n_layers - 2, -1, -1):
            below = self.lyr[k]
            dEdW = below.h.T @ dEdz
            dEdb = dEdz.sum(axis=0)
            if k > 0:
                next_dEdz = (dEdz @ self.W[k].T) * below.sigma_p()
            self.W[k] -= lrate * dEdW
            self.lyr[k + 1].b -= lrate * dEdb
            if k > 0:
                dEdz = next_dEdz

    def Learn(self, inputs, targets, lrate=0.05, epochs=1, progress=True):
        """Full-batch gradient descent for `epochs` steps."""
        for k in range(epochs):
            self.FeedForward(inputs)
            self.BackProp(targets, lrate=lrate)
            if progress:
                self.cost_history.append(self.Loss(self.lyr[-1].h, targets))

    def SGD(self, inputs, targets, lrate=0.05, epochs=1, batch_size=10):
        """Stochastic gradient descent; returns an (epochs, 2) array of [epoch, cost]."""
        history = []
        for epoch in range(epochs):
            for batch_in, batch_out in MakeBatches(inputs, targets, batch_size=batch_size):
                self.FeedForward(batch_in)
                self.BackProp(batch_out, lrate=lrate)
            history.append([epoch, self.Evaluate(inputs, targets)])
            print(f'Epoch {epoch}: cost {history[-1][1]:.5g}')
        return np.array(history)

    def Evaluate(self, inputs, targets):
        """The mean loss over a data set."""
        return self.Loss(self.FeedForward(inputs), targets)

    def ClassificationAccuracy(self, inputs, targets):
        """Fraction of samples whose largest output is the target's one-hot entry."""
        y = self.FeedForward(inputs)
        return float(np.mean(np.argmax(y, axis=1) == np.argmax(targets, axis=1)))
