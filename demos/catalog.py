"""Every worked example, in the order `chainrule list` shows them, listed without importing any.

A demo lives in the module named as the learner types it (`chainrule demo gender-train` is
demos/gender_train.py, whose build() returns the steps); that module is imported only when
the demo is built, so listing the demos costs nothing.

The tutorials: titles and authors as the texts give them, else as their originals are known
(Victor Zhou and Per Harald Borgen are not named in the copies we have; Sarthak Gupta's title is
the one his article's link spells out, as the copy's heading is garbled); a link only where the
text itself names one.
"""
import importlib
from functools import partial

from ..lessons.steps import Demo, Tutorial

ZHOU = Tutorial("Machine Learning for Beginners: An Introduction to Neural Networks", "Victor Zhou")
ANDREY = Tutorial("Do-it-yourself neural network from scratch. Part 1. Theory", "Andrey")
XOR = Tutorial("Learn Neural Networks: Build an XOR Gate From Scratch with Python Step by Step Walkthrough")
BUTTONS = Tutorial("How to program neural networks")
BORGEN = Tutorial("Learning How To Code Neural Networks", "Per Harald Borgen")
LOY = Tutorial("How to build your own Neural Network from scratch in Python", "James Loy")
GUPTA = Tutorial("DL01: Writing a Neural Network from Scratch (Theory)", "Sarthak Gupta",
                 "https://hackernoon.com/dl01-writing-a-neural-network-from-scratch-theory-c02ccc897864")


def _steps(name):
    """The steps of the demo called `name`, from its module, imported now."""
    module = importlib.import_module(f".{name.replace('-', '_')}", __package__)
    return module.build()


def _demo(name, title, tutorial, summary):
    return Demo(name, title, summary, partial(_steps, name), tutorial)


DEMOS = {demo.name: demo for demo in [
    _demo("neuron", "One neuron: f(w·x + b)", ZHOU,
          "a sigmoid neuron on x = [2, 3]: the sum 7, the output 0.999"),
    _demo("network", "A 2-2-1 network, forward", ZHOU,
          "two hidden neurons and an output: h1 = h2 = 0.9526, o1 = 0.7216"),
    _demo("gender", "Backprop by hand, by the engine", ZHOU,
          "Alice through the 2-2-1 network: MSE, forward, backward node by node, dL/dw1 by the chain rule"),
    _demo("gender-train", "Training the gender network", ZHOU,
          "SGD, 1000 epochs on four people, then Emily (F) and Frank (M)"),
    _demo("delta", "A sigmoid network and the hand-derived delta rule", ANDREY,
          "inputs [1,0,1], weights [0.43,0.18,-0.21]: 0.22, 0.55, output 0.60, delta 0.24, updates"),
    _demo("xor", "XOR from scratch: hand-computed deltas are gradients", XOR,
          "h1 on [1,1]: 0.49, 0.61, 0.6479; errors -0.04, 0.00418, 0.001; update 0.4599; train to 100%"),
    _demo("buttons", "The four-button machine: add the learning rate, or descend the gradient", BUTTONS,
          "inputs [0,0,1,0], weights 0, learning rate 0.2: outputs 0.00, 0.20, ..., 1.00 in 6 trials"),
    _demo("rabbit", "The rabbit that learns to blink at a sound", BUTTONS,
          "puff weight 1, threshold 1, sound weight +0.30 a trial: blinks at the sound after trial 4"),
    _demo("spam", "A spam-filter neuron: sigmoid(5) rounds to 1", BORGEN,
          "weights 7 and 3 plus an offset give 5; sigmoid(5) = 0.9933, rounds to 1"),
    _demo("two-layer", "James Loy's 2-layer network, 1500 iterations", LOY,
          "4 sigmoid hidden units, SSE, [0,0,1],[0,1,1],[1,0,1],[1,1,1] -> 0,1,1,0; loss falls every step"),
    _demo("descent", "Gradient descent on a convex cost: the learning rate", GUPTA,
          "J(w) = (w - 3)^2 + 1 from w = 0: learning rate 0.3 converges, 0.01 crawls, 1.1 diverges"),
    _demo("spiral", "Three spirals: softmax, cross-entropy and the gradient p - onehot(y)", None,
          "a 2-16-16-3 relu network trained on three spirals; one point's loss backward; the network by layers"),
]}
