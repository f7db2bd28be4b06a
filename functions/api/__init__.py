"""API functions: each mounts one subsystem Blueprint."""
