"""photonic_dfa.circuits"""
