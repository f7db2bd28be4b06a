"""Use cases of the loans context: domain rules applied to what the data modules read and write."""
