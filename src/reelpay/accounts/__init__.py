"""Accounts: sign-up and sessions, profiles, roles, account type and standing."""
