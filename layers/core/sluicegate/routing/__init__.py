"""Model routing: aliases, rules, weighted splits and fallbacks from a YAML file.

``config`` and ``backend_specs`` contain the YAML schema, ``loader`` reads and checks it, ``router``
turns a model name and the request's facts into an ordered list of
candidate backends, and ``dispatch`` tries them with circuit breakers.
"""
