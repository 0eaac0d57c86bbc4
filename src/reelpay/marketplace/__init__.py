"""Creator Marketplace: brands fund campaigns in escrow, creators deliver and get paid, and
sponsored challenges pay prize tiers to the best entries."""
