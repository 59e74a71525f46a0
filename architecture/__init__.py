"""photonic_dfa.architecture"""
