"""Test data made through the code of the context that owns it (issue 12): a test of one context that needs
another context's data asks that context's factory here, which calls the owner's public interface or, where the
state is one no use case reaches (a lease left behind by a dead invocation), the owner's own model. No factory
writes an item by hand. One module per context; docs/CONTRIBUTING.md says how to add one."""
