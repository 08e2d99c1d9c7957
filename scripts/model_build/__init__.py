"""Helpers for scripts/build_models.py: build venv, sources, cache and converters.

The converters (``convert_smollm2``, ``export_minilm``) import torch and
transformers, so they run as scripts inside the build venv. The rest run in
the caller's interpreter with the standard library only, plus
``sluicegate.inference.manifest`` for the manifest format.
"""
