"""Use cases of the rating context: domain rules applied to what the data modules read and write."""
