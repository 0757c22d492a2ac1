"""The collection's tests. A package so that tests.support imports the same
way for every harness (see tests/support/__init__.py)."""
