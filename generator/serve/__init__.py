"""The live preview: the same engine, serving and rebuilding as files change."""
