"""Training: data, a compiled tape over the op registry, the loop, worker processes.

datasets.py makes the points and data.py binds a data set (generated, given, CSV, or
none) to the program's inputs; tape.py runs a program's forward and backward passes
with nothing but the registry's functions; trainer.py is the loop (initialisation, the
gradient, the optimiser's step from app/engine/optimizers.py, history, accuracy), with
pictures.py (decision boundary, neuron maps), recorder.py (the flight recorder) and
pacing.py (a run's pace); worker.py runs a loop in a process of its own and pool.py
keeps those processes for the server; view.py draws a recorded pass. Importing this
package imports none of them.
"""
