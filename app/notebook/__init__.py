"""Jupyter: the circuit as a live widget (anywidget), its requests answered in the kernel."""
