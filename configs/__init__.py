"""Example configs, shipped so `orcapost demo` can run the demo config from an installed package."""
