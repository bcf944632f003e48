"""chainrule's neural networks: Neuron, Layer, MLP, losses and optimizers on engine.Value.

    from chainrule.nn import MLP, SGD, mse
    model = MLP(2, [2, 1], activation="sigmoid", seed=0)
    opt = SGD(model.parameters(), lr=0.1)
"""
from . import datasets
from .layers import MLP, Layer, Neuron, load
from .losses import binary_cross_entropy, hinge, l2, mse, sse
from .module import Module, save
from .multiclass import accuracy, argmax, cross_entropy, softmax
from .optim import SGD, Adam, Optimizer
from .torch import to_torch, torch_check
from .train import fit

__all__ = ["Module", "Neuron", "Layer", "MLP", "mse", "sse", "binary_cross_entropy", "hinge", "l2",
           "softmax", "cross_entropy", "argmax", "accuracy",
           "Optimizer", "SGD", "Adam", "fit", "datasets", "save", "load", "to_torch", "torch_check"]
