"""Reelpay: a GraphQL API for short-video creator monetization."""
