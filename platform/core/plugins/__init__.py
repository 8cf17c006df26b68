"""The plugin host: pluggy hookspecs and the plugin manager department modules plug into."""
