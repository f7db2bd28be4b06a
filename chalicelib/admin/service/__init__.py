"""Use cases of the admin context: domain rules applied to what the data modules read and write."""
