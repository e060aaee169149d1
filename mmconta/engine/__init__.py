"""Engine: hooks, loops and runners of the CONTA round loop."""
