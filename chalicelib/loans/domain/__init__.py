"""Pure domain code of the loans context: no AWS, no I/O, no environment."""
