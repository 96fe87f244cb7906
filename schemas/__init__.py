"""pydantic models of orcapost's YAML configs and of OrcaFlex's result vocabulary."""
