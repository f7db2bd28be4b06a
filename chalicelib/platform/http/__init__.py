"""The route layer: routes declared once (``routing.Api``), the OpenAPI document built from them, idempotency."""
