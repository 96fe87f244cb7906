"""Built-in reductions: the kinds of a campaign table's ``reductions`` (docs/campaign-tables.md)."""
