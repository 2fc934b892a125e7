"""The test suite (a package, so that the shared references in ``tests._reference`` import by name)."""
