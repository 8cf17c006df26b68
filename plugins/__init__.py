"""Built-in department modules (fire_safety, disputes, …), each registered as a gridgov.plugins
entry point exactly like a third-party plugin package."""
