"""gridgov's public SDK for department modules: the one package a module imports besides
``gridgov.core.plugins.hookspecs``. Each submodule holds one idea (``caller``, ``county``,
``tasks``, ``registry``, ``forms``, ``files``, ``notifications``, ``audit``, ``storage``,
``errors``, ``i18n``, ``inputs``, ``api``, ``portal``, ``visits``); ``docs/sdk.md`` documents
every name.

The SDK is a facade over the core: its names stay stable while the core moves behind it.
"""
