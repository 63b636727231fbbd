"""The LSPO loop (Xu et al., ICML 2025, arXiv 2502.04686): self-play with N candidates per speaking turn,
latent space, solve, DPO, evaluation; repeated, resumable per step."""
