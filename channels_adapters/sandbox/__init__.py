"""Faithful fake platform gateways for tests, the demo and ``simulate``.

Each platform gets a module here with its gateway views; documents they serve
live in ``SandboxDocument`` (see ``store``).  The sandbox checks signatures with
its *own* implementation of each scheme, so a mistake in our client shows up as
a rejected call rather than being mirrored.
"""
