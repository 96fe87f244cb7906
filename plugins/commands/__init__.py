"""Built-in CLI commands added as plugins (orcapost_register_commands)."""
