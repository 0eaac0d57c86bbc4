"""Payout methods, schedules and payouts: getting creators their earnings safely."""
