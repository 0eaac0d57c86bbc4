"""Local fake servers of the payment and payout providers, for the SDKs to talk to."""
