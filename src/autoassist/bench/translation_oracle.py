"""A perfect Assistant for the translation rule: it scores candidates with the Boss's current losses.

``bench translate --methods oracle`` runs AutoAssist with the official translation rules
(``TRANSLATION_RULES``: everything accepted in the first pass, then ``base_prob`` 0.5) and this
Assistant in place of the learned one. ``score`` forwards the candidates through the Boss (no
gradient, evaluation mode) and returns 1 for a sentence whose current per-token loss is above the
threshold the learned Assistant is trained against (the previous pass's mean loss once a pass has
ended, before that an exponential moving average of feedback batch means), else 0: the threshold is
kept by a :class:`LinearAssistant` that learns the same feedback, so the two cannot drift apart. It is perfect at
the moment it scores; like the learned Assistant, it scores the candidates that fill the token
batcher's pool (``pool_batches``, 32 batches' worth by default) at once, so a sentence is trained up to
that many steps (plus the generator's lag) after its loss was read. ``threshold_scale`` tries other
rules with the same exact scores: 1 where the loss is above that multiple of the threshold (0.5: only
sentences whose loss is below half the mean count as learned, and only those are skipped). ``easiest``
inverts the choice at a chosen rate: the informative sentences are that fraction of each scored pool with the
*lowest* current losses (the threshold unused), so the rule keeps the easiest sentences and half of the others:
it tells "the hard sentences" from "any choice by the current loss".

It answers a diagnostic question in Boss steps: what does the rule itself (keep every sentence whose
loss is above the mean, half of the others) do for this Boss when the prediction is exact? It is not
an upper bound for learned Assistants: on the clean synthetic corpus the paper's Assistant did better
than the oracle (benchmarks/translation/synthetic-lab). As for images, the scoring forward passes are
free: their seconds are counted apart (``scoring_seconds``) and taken out of the run's training wall
time by the benchmark. Scoring reads the Boss's weights, so the generator
must run inline (``asynchronous=False``), between the Boss's steps; the benchmark sets it.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from autoassist._errors import check_float, fail
from autoassist.assistants.linear import LinearAssistant
from autoassist.batching import cut_by_tokens, instance_sizes
from autoassist.data.text_batches import TranslationDataset
from autoassist.data.tokenize import PAD_ID
from autoassist.features import InstanceFeatures
from autoassist.losses import sequence_losses
from autoassist.models.transformer import Seq2SeqTransformer

__all__ = ["BossLossOracle"]


class BossLossOracle:
    """The Assistant protocol, answered with the Boss's true current losses (for diagnosis only).

    Args:
        model: the Boss, trained in place by the caller; read between its steps.
        dataset: the training set whose indices the generator offers.
        label_smoothing: of the per-sentence losses, as the Boss reports them.
        max_tokens: padded tokens per scoring forward pass.
        mean_decay: decay of the moving average of feedback batch means (the learned Assistant's 0.9).
        threshold_scale: a sentence is informative when its loss is above this multiple of the threshold
            (1: the rule's own).
        easiest: 0 (off), or a fraction in (0, 1): the informative sentences are instead this fraction of the
            candidates scored together with the lowest current losses (ties by position).
    """

    def __init__(self, model: Seq2SeqTransformer, dataset: TranslationDataset, *, label_smoothing: float,
                 max_tokens: int, mean_decay: float = 0.9, threshold_scale: float = 1.0,
                 easiest: float = 0.0) -> None:
        self.threshold_scale = check_float("threshold_scale", threshold_scale, positive=True,
                                           fix="1 is the rule's threshold itself; e.g. oracle:threshold_scale=0.5.")
        self.easiest = check_float("easiest", easiest, nonnegative=True)
        if self.easiest >= 1.0:
            raise fail("easiest", "in [0, 1)", self.easiest,
                       "It is the fraction of each scored pool marked informative, e.g. oracle:easiest=0.16; 0: off.")
        self.model = model
        self.dataset = dataset
        self.label_smoothing = label_smoothing
        self.max_tokens = int(max_tokens)
        self.sizes = instance_sizes(dataset.lengths)
        # only its threshold is used (targets); its own scores are never asked for
        self.rule = LinearAssistant(InstanceFeatures.labels_only(np.zeros(len(dataset), dtype=np.int64), 1),
                                    mean_decay=mean_decay, threshold="previous-pass")
        self.instances_seen = 0  # the Assistant protocol's attribute: the rule's count, copied after each change
        self.scored = 0
        self.informative = 0
        self.scoring_seconds = 0.0

    def losses(self, indices: np.ndarray) -> np.ndarray:
        """The Boss's current per-sentence losses of ``indices`` (evaluation mode, no gradient)."""
        out = np.empty(len(indices), dtype=np.float64)
        order = np.argsort(self.sizes[indices], kind="stable")
        device = next(self.model.parameters()).device
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                for chunk in cut_by_tokens(order, self.sizes[indices], self.max_tokens):
                    batch = self.dataset.collate(indices[chunk].tolist()).to(device)
                    logits = self.model(batch.src, batch.tgt_in)
                    losses = sequence_losses(logits, batch.tgt_out, PAD_ID, self.label_smoothing)
                    out[chunk] = losses.double().cpu().numpy()
        finally:
            self.model.train(was_training)
        return out

    def score(self, indices: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        indices = np.asarray(indices, dtype=np.int64)
        if not len(indices):
            p = np.empty(0)
        elif self.easiest > 0:  # the easiest fraction: the lowest current losses
            p = np.zeros(len(indices))
            p[np.argsort(self.losses(indices), kind="stable")[:round(self.easiest * len(indices))]] = 1.0
        else:  # loss > scale * threshold, asked of the rule that keeps the threshold
            p = self.rule.targets(self.losses(indices) / self.threshold_scale)
        self.scored += len(p)
        self.informative += int(p.sum())
        self.scoring_seconds += time.perf_counter() - t0
        return p

    def begin_pass(self, pass_index: int) -> None:
        self.rule.begin_pass(pass_index)

    def learn(self, indices: np.ndarray, losses: np.ndarray) -> None:
        self.rule.learn(indices, losses)
        self.instances_seen = self.rule.instances_seen

    def state_dict(self) -> dict[str, Any]:
        return {"rule": self.rule.state_dict(), "scored": self.scored, "informative": self.informative}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rule.load_state_dict(state["rule"])
        self.instances_seen = self.rule.instances_seen
        self.scored, self.informative = int(state["scored"]), int(state["informative"])

    def stats(self) -> dict[str, float]:
        return {"oracle_informative_rate": self.informative / self.scored if self.scored else 0.0,
                "oracle_scoring_seconds": self.scoring_seconds,
                "assistant_instances_seen": float(self.instances_seen)}
