"""Notifications the API lists for a user (decisions on their applications, ...)."""
