"""The local stack: a moto server built from template.yaml, running the real handlers in-process."""
