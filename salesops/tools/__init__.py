"""Sales tools: satisfaction survey rounds, links, results and themes, and lead fairness (docs/TOOLS.md)."""
