"""The pure engine layer: no web framework, queue, cache or database driver is imported here."""
