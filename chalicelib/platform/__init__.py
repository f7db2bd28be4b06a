"""The bottom layer: what every bounded context uses (settings, errors, clock, observability, authentication and
access, AWS clients, DynamoDB access, personal data, the request value types, the route layer). It imports no
context (import-linter contract in pyproject.toml); only ``chalicelib.reference`` besides itself."""
