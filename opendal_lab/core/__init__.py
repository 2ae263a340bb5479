"""The core, as OpenDAL's services/layers split draws it: what every stack is made of.

- ``types``, ``capability`` (+ ``capability_docs``), ``errors``, ``options``, ``path``:
  the vocabulary (metadata and entries, the capability fields, error kinds, per-operation
  options, path rules);
- ``access``: the ``Access`` protocol services and layers implement, the ``Service`` and
  ``LayeredAccess`` bases, the ``Layer`` protocol and what a layer may declare;
  ``wrapping``: bases for layers that act around every call (``CallWrapper``) or observe
  each operation (``OperationObserver``);
- ``layers/``: the critical layers every operator has (ErrorContext, Simulate, Complete,
  CorrectnessCheck) and the two core ones a user adds (CapabilityCheck, ImmutableIndex);
- ``registry``: schemes and layer names, filled by the services' ``register`` functions
  through entry points; it registers nothing itself;
- ``operator``: the ``Operator`` users hold; ``file``: its file objects; ``secrets``,
  ``spool``, ``sync``: small helpers.

Nothing here imports a service, an optional layer or a face (tests/test_import_graph.py).
"""
