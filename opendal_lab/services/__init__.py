"""One module (or package) per storage service: ``memory``, ``fs``, ``s3``, ``http``, and the
bridges ``fsspec`` (any fsspec filesystem) and ``opendal`` (the Rust binding's services).

Each exposes ``SCHEME``, its config dataclass and ``register(registry)``; the entry points in
``pyproject.toml`` name those functions, so a service is loaded the first time its scheme
is asked for (``Operator("s3", ...)``), exactly as a third-party plugin's is.
"""
