"""Optional integrations with training frameworks; each module imports its framework when it is imported.

* :mod:`autoassist.integrations.lightning`: PyTorch Lightning (``pip install autoassist[lightning]``).
* :mod:`autoassist.integrations.hf`: the Hugging Face ``Trainer`` and ``Seq2SeqTrainer`` (``pip install autoassist[hf]``).

``import autoassist`` imports neither.
"""
