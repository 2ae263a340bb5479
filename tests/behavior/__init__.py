"""Behavior tests: one module per operation, run on every service and simulation on/off."""
