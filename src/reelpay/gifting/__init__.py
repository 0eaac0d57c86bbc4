"""Virtual gifts on LIVE streams and videos, LIVE streams themselves, and tips."""
