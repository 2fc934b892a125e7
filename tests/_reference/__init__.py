"""Independent references and fixture writers shared by the tests.

* :mod:`tests._reference.acg`: dense ``T x T`` numpy action complement graph (paper Eq. 1-4).
* :mod:`tests._reference.detection`: loop-based detection mAP (docs/method.md#evaluation).
* :mod:`tests._reference.postprocess`: loop references of the post-processing formulas.
* :mod:`tests._reference.layouts`: writers of tiny datasets in the public feature layouts.
* :mod:`tests._reference.tiny`: a tiny learnable WTAL set and a training loop for the heads.

Nothing here imports the code it is compared with.
"""
