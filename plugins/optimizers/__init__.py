"""Built-in memory optimizers."""
