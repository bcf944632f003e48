"""chainrule's worked examples, stepped through in the terminal or as an HTML page."""
