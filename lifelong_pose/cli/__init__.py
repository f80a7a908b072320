"""The ``lifelong-pose`` command line."""
