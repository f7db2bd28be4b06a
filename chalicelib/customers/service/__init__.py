"""Use cases of the customers context: domain rules applied to what the data modules read and write."""
