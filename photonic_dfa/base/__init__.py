"""photonic_dfa.base: the foundation every layer may use; it imports no layer.

Validation of user values (:mod:`.validation`), atomic and checksummed files
(:mod:`.atomic`), TOML reading (:mod:`.tomlfile`), units on the command line
(:mod:`.units`), the data directory (:mod:`.datadir`), the cached task runner
(:mod:`.tasks`) and the version (:mod:`.version`).
"""
