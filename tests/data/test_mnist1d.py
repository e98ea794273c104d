from __future__ import annotations

import numpy as np

from autoassist.data.mnist1d import make_mnist1d, templates


def test_shapes_and_dtypes() -> None:
    d = make_mnist1d(num_train=200, num_test=50, seed=3)
    assert d.x_train.shape == (200, 40) and d.x_train.dtype == np.float32
    assert d.x_test.shape == (50, 40) and d.x_test.dtype == np.float32
    assert d.y_train.dtype == np.int64 and d.y_test.dtype == np.int64
    assert np.isfinite(d.x_train).all()
    assert make_mnist1d(num_train=20, num_test=10, length=64).x_train.shape == (20, 64)


def test_deterministic_given_seed_and_global_rng_untouched() -> None:
    state = np.random.get_state()[1].copy()
    a, b = make_mnist1d(100, 20, seed=5), make_mnist1d(100, 20, seed=5)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    c = make_mnist1d(100, 20, seed=6)
    assert not np.array_equal(a.x_train, c.x_train)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_class_balance() -> None:
    d = make_mnist1d(num_train=1000, num_test=100, seed=0)
    assert np.bincount(d.y_train, minlength=10).tolist() == [100] * 10
    assert np.bincount(d.y_test, minlength=10).tolist() == [10] * 10
    assert len(set(d.y_train[:20].tolist())) > 3  # shuffled, not sorted by class


def test_templates_start_at_zero_and_differ() -> None:
    t = templates()
    assert t.shape == (10, 12)
    np.testing.assert_allclose(t[:, 0], 0.0)
    distances = np.linalg.norm(t[:, None] - t[None], axis=-1)
    assert (distances + np.eye(10) > 1e-3).all()


def test_classes_differ_on_average() -> None:
    # nearest class mean on the raw signals does better than chance but far from perfect:
    # the shifts and noise make it a real problem
    d = make_mnist1d(num_train=2000, num_test=500, seed=1)
    means = np.stack([d.x_train[d.y_train == k].mean(0) for k in range(10)])
    pred = np.argmin(((d.x_test[:, None] - means[None]) ** 2).sum(-1), axis=1)
    accuracy = (pred == d.y_test).mean()
    assert 0.12 < accuracy < 0.7
