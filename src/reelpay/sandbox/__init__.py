"""The sandbox clock: outside production, staff move the platform's time forward for testing."""
