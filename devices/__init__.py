"""photonic_dfa.devices"""
