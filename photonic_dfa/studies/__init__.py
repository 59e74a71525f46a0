"""photonic_dfa.studies: applications on top of every layer (device sweeps, scaling grids).

Nothing below imports them; the CLI and users' scripts do.
"""
