"""photonic_dfa.calibration"""
