"""The simulated world: domain factors, bodies, cameras, 2D observation models and generation."""
