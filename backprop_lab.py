"""`import backprop_lab`: the Python API of Backprop Lab, under the distribution's name.

The package is installed as backprop-lab, so `import backprop_lab` is what people try
first; the code lives in the `app` package (app/lab.py, also `from app import lab`). This
module re-exports that module's names: `backprop_lab.circuit is app.lab.circuit`, and
`backprop_lab.sigmoid` is `app.lab.sigmoid`.
"""

from app.lab import *  # noqa: F403
from app.lab import __all__, __getattr__  # noqa: F401  (lab.exp, lab.sum, … as in app.lab)
