"""The latent-policy agent (LSPO play step): a proposer writes candidates, the solved latent policy picks."""
