"""Data access: small repositories over DynamoDB. Handlers and domain code never call boto3 directly."""
