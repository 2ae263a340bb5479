"""One module per storage service. Import them through the registry (``Operator(scheme)``)."""
