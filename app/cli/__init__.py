"""The `backprop-lab` command."""
