"""Content: videos, views per day, pins and follows."""
