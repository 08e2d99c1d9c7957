"""The in-function inference engine: ONNX models built by `make models`.

Importing this package loads no model and no heavy runtime. ``chat_model``
imports onnxruntime-genai and ``embeddings`` imports onnxruntime, so callers
that only need manifests or the model store never load either.
"""
