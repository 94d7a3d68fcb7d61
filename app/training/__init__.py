"""Training: data sets, a compiled tape over the op registry, the loop, worker processes.

datasets.py makes the points, tape.py runs a program's forward and backward
passes with nothing but the registry's functions, trainer.py is the loop
(initialisation, update rules, history, accuracy, decision boundary),
worker.py runs a loop in a process of its own and pool.py keeps those
processes for the server. Importing this package imports none of them.
"""
