"""The request pipeline: one function per API operation, built from timed stages."""
