"""Writes of the channel adapters: the inbound archive, native documents, platform pushes."""
