"""photonic_dfa.training"""
