"""Abstract (latent) games: speech replaced by latent strategy ids, as registered OpenSpiel games."""
