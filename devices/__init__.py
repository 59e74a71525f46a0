"""photonic_dfa.devices: one module per device family, frozen validated dataclasses.

Rings (:mod:`.microring`), ring-bus coupler gap model (:mod:`.coupler_gap`), heaters and
thermal crosstalk (:mod:`.thermal`), photodetectors and converters (:mod:`.photodetector`),
input modulators (:mod:`.modulator`) and the WDM comb source (:mod:`.laser`).
"""

from .laser import ChannelGrid, CombLaser
from .microring import AddDropRing, AllPassRing
from .modulator import MachZehnderModulator, RingModulator
from .photodetector import ADC, BalancedPhotodetector, Photodetector, effective_bits
from .thermal import Heater, ThermalCrosstalk

__all__ = [
    "ADC",
    "AddDropRing",
    "AllPassRing",
    "BalancedPhotodetector",
    "ChannelGrid",
    "CombLaser",
    "Heater",
    "MachZehnderModulator",
    "Photodetector",
    "RingModulator",
    "ThermalCrosstalk",
    "effective_bits",
]
