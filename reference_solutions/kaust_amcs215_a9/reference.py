"""The grader's facts for kaust_amcs215_a9: the sizes of the handout's models.

The checks of this assignment are all of kind `module` (a student's torch model, found by its
shapes and layers), whose params carry these sizes as literals; the integration test holds the
spec to them. Nothing here runs in a student's kernel."""

from __future__ import annotations

DENSE_SIZES = (784, 100, 30, 100, 784)
CONV_CHANNELS = (1, 16, 32, 64)
EMBEDDING_DIM, RNN_HIDDEN = 100, 256


def dense_linear_sizes() -> list[tuple[int, int]]:
    """(in_features, out_features) of the feedforward autoencoder's Linear layers, in order."""
    return list(zip(DENSE_SIZES, DENSE_SIZES[1:], strict=False))


def dense_parameter_count() -> int:
    """Weights and biases of the 784-100-30-100-784 autoencoder."""
    return sum(n_in * n_out + n_out for n_in, n_out in dense_linear_sizes())


def conv_encoder_channels() -> list[tuple[int, int]]:
    """(in_channels, out_channels) of the encoder's 3x3 convolutions, in order."""
    return list(zip(CONV_CHANNELS, CONV_CHANNELS[1:], strict=False))


def conv_decoder_channels() -> list[tuple[int, int]]:
    """(in_channels, out_channels) of the mirrored transposed convolutions, in order."""
    return [(n_out, n_in) for n_in, n_out in reversed(conv_encoder_channels())]
