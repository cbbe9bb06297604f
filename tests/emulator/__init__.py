"""A local Discord API emulator (REST + gateway) for offline tests of the real discord.py client."""
