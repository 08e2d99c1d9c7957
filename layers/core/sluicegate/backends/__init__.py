"""Model backends: the in-function ONNX engine and SageMaker endpoints."""
