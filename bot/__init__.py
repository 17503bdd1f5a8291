"""mockbot's conversation layer: configuration and the command line (front-ends come here too)."""
