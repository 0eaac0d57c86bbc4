"""Series: paywalled collections of episodes that creators publish and viewers buy."""
