"""Core tests need no app and no database: the small bank fixture is in tests/conftest.py."""
