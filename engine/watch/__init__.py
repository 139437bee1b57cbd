"""zhunsheng watch: the live monitor (docs/watch.md)."""
