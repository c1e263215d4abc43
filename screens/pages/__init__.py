"""The wizard's pages, one module each (``<key>.py`` holding ``Page``), in the order of ``navigation.SCREENS``."""
