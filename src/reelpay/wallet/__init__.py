"""Coins, diamonds and earnings: the double-entry ledger and the wallet built on it."""
