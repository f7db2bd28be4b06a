"""Use cases of the postloan context: domain rules applied to what the data modules read and write."""
