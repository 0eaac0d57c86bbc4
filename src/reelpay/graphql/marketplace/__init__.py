"""The Creator Marketplace's GraphQL layer: brands, campaigns, deals and challenges."""
