"""A fake tax gateway (数电 platform behind a Nuonuo-style API) for dev, demo and tests."""
