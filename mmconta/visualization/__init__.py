"""Visualisation of CAMs and masks."""
