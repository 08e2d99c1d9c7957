"""The in-function inference engine: ONNX models built by `make models`.

Importing this package loads no model and no heavy runtime. ``chat_model`` and
``embeddings`` import onnxruntime and onnxruntime-genai when they are imported.
"""
