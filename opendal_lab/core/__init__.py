"""Types, protocols, the operator, path rules and the registry (no services, no layers)."""
