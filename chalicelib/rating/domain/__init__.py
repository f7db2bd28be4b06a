"""Pure domain code of the rating context: no AWS, no I/O, no environment."""
