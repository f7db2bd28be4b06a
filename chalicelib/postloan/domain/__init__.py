"""Pure domain code of the postloan context: no AWS, no I/O, no environment."""
