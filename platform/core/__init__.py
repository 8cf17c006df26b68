"""The domain of gridgov: tenancy, hierarchy, accounts, audit and the plugin host.

Nothing in here knows about HTTP; the API and portal call the services of each area.
"""
