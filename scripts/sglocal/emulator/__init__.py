"""A local stand-in for the SageMaker Runtime API (InvokeEndpoint) with fault injection."""
