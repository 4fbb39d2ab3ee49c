"""Order actors (thin: load, call one service)."""
