"""Linear SVMs trained by SGD with instance shrinking (the paper's linear-SVM part).

>>> from autoassist.linear import ShrinkingSVC
>>> clf = ShrinkingSVC(shrinking="drift", max_iter=20, random_state=0).fit(X, y)  # doctest: +SKIP
"""

from autoassist.linear.svm import ShrinkingSVC, primal_objective

__all__ = ["ShrinkingSVC", "primal_objective"]
