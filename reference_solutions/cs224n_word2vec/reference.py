"""The grader's word2vec (skip-gram with naive softmax and with negative sampling), in float64:
what the generic checks of cs224n_word2vec compare with. Never sent to a kernel.

Conventions as in the course's handout: one word vector per row, so `outsideVectors` is
(vocabulary, dimension) and `centerWordVec` is (dimension,). Losses are for one (center,
outside) pair; skipgram sums them over the window.

The functions named like a mistake compute a known wrong answer; the spec gives each a hint.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def sigmoid_sign_flipped(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(np.asarray(x, dtype=np.float64)))


def softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


class CyclingSampler:
    """Hands out token indices from a fixed list in turn: the stand-in corpus the handout gives
    negative sampling, so the student's samples and the grader's are the same."""

    def __init__(self, indices: Any) -> None:
        self.indices = [int(i) for i in indices]
        self.position = 0

    def sampleTokenIdx(self) -> int:  # noqa: N802 - the course's name
        index = self.indices[self.position % len(self.indices)]
        self.position += 1
        return index


def getNegativeSamples(outsideWordIdx: int, dataset: Any, K: int) -> list[int]:  # noqa: N802, N803
    samples = []
    while len(samples) < K:
        index = dataset.sampleTokenIdx()
        if index != outsideWordIdx:
            samples.append(index)
    return samples


def naiveSoftmaxLossAndGradient(centerWordVec: np.ndarray, outsideWordIdx: int,  # noqa: N802, N803
                                outsideVectors: np.ndarray, dataset: Any
                                ) -> tuple[float, np.ndarray, np.ndarray]:
    probs = softmax(outsideVectors @ centerWordVec)
    loss = -float(np.log(probs[outsideWordIdx]))
    error = probs.copy()
    error[outsideWordIdx] -= 1.0
    return loss, outsideVectors.T @ error, np.outer(error, centerWordVec)


def naiveSoftmax_loss_without_log(centerWordVec: np.ndarray, outsideWordIdx: int,  # noqa: N802, N803
                                  outsideVectors: np.ndarray, dataset: Any
                                  ) -> tuple[float, np.ndarray, np.ndarray]:
    probs = softmax(outsideVectors @ centerWordVec)
    _, grad_center, grad_outside = naiveSoftmaxLossAndGradient(
        centerWordVec, outsideWordIdx, outsideVectors, dataset)
    return -float(probs[outsideWordIdx]), grad_center, grad_outside


def negSamplingLossAndGradient(centerWordVec: np.ndarray, outsideWordIdx: int,  # noqa: N802, N803
                               outsideVectors: np.ndarray, dataset: Any, K: int = 10
                               ) -> tuple[float, np.ndarray, np.ndarray]:
    return _neg_sampling(centerWordVec, outsideWordIdx, outsideVectors, dataset, K,
                         keep_repeats=True)


def negSampling_repeats_dropped(centerWordVec: np.ndarray, outsideWordIdx: int,  # noqa: N802, N803
                                outsideVectors: np.ndarray, dataset: Any, K: int = 10
                                ) -> tuple[float, np.ndarray, np.ndarray]:
    return _neg_sampling(centerWordVec, outsideWordIdx, outsideVectors, dataset, K,
                         keep_repeats=False)


def _neg_sampling(center: np.ndarray, outside: int, vectors: np.ndarray, dataset: Any, k: int,
                  *, keep_repeats: bool) -> tuple[float, np.ndarray, np.ndarray]:
    negatives = getNegativeSamples(outside, dataset, k)
    u_o = vectors[outside]
    s_o = sigmoid(u_o @ center)
    u_k = vectors[negatives]
    s_k = sigmoid(-(u_k @ center))
    loss = -float(np.log(s_o)) - float(np.sum(np.log(s_k)))
    grad_center = -(1.0 - s_o) * u_o + (1.0 - s_k) @ u_k
    grad_outside = np.zeros_like(vectors)
    grad_outside[outside] += -(1.0 - s_o) * center
    rows = np.outer(1.0 - s_k, center)
    if keep_repeats:
        np.add.at(grad_outside, negatives, rows)
    else:  # fancy-index += keeps one of each repeated word's terms
        grad_outside[negatives] += rows
    return loss, grad_center, grad_outside


def skipgram(currentCenterWord: str, windowSize: int, outsideWords: list[str],  # noqa: N803
             word2Ind: dict[str, int], centerWordVectors: np.ndarray,
             outsideVectors: np.ndarray, dataset: Any,
             word2vecLossAndGradient: Any = naiveSoftmaxLossAndGradient
             ) -> tuple[float, np.ndarray, np.ndarray]:
    return _skipgram(currentCenterWord, outsideWords, word2Ind, centerWordVectors,
                     outsideVectors, dataset, word2vecLossAndGradient, last_only=False)


def skipgram_last_word_only(currentCenterWord: str, windowSize: int,  # noqa: N803
                            outsideWords: list[str], word2Ind: dict[str, int],
                            centerWordVectors: np.ndarray, outsideVectors: np.ndarray,
                            dataset: Any,
                            word2vecLossAndGradient: Any = naiveSoftmaxLossAndGradient
                            ) -> tuple[float, np.ndarray, np.ndarray]:
    return _skipgram(currentCenterWord, outsideWords, word2Ind, centerWordVectors,
                     outsideVectors, dataset, word2vecLossAndGradient, last_only=True)


def _skipgram(center_word: str, outside_words: list[str], word2ind: dict[str, int],
              center_vectors: np.ndarray, outside_vectors: np.ndarray, dataset: Any,
              pair_loss: Any, *, last_only: bool) -> tuple[float, np.ndarray, np.ndarray]:
    c = word2ind[center_word]
    loss = 0.0
    grad_center = np.zeros(center_vectors.shape)
    grad_outside = np.zeros(outside_vectors.shape)
    for word in outside_words:
        pair, g_center, g_outside = pair_loss(center_vectors[c], word2ind[word], outside_vectors,
                                              dataset)
        if last_only:
            loss, grad_center[c], grad_outside = pair, g_center, g_outside
        else:
            loss += pair
            grad_center[c] += g_center
            grad_outside += g_outside
    return loss, grad_center, grad_outside
