"""chainrule's neural networks: Neuron, Layer, MLP, losses and optimizers on engine.Value."""
