"""Pure domain code of the admin context: no AWS, no I/O, no environment."""
