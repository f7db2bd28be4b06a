"""Pure domain code of the customers context: no AWS, no I/O, no environment."""
