"""Every worked example, in the order `chainrule list` shows them."""
from . import delta, descent, network, perceptron, xor

DEMOS = {demo.name: demo for module in (network, delta, xor, perceptron, descent) for demo in module.DEMOS}
