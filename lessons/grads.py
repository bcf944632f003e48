"""Grads for a lesson: every grad of a graph set to 0, d out / d wrt by a fresh backward, and
gradient descent one step at a time."""
from ..engine import backward_order
from ..nn import SGD


def zero_grads(root):
    """Set every grad in root's graph to 0, leaves included, for a fresh backward."""
    for v in backward_order(root):
        v.grad = 0.0


def derivative(out, wrt):
    """d out / d wrt by autograd: a fresh backward from `out`, read off `wrt.grad`."""
    zero_grads(out)
    out.backward()
    return wrt.grad


def gradient_descent(loss, parameters, lr, steps):
    """`steps` steps of p <- p - lr * dL/dp for every parameter p, with L = loss() made afresh each step.

    Yields after each step the L it was taken on (its value and grads are from before the
    step; the parameters have moved), so the caller can record the trajectory.
    """
    opt = SGD(parameters, lr=lr)
    for _ in range(steps):
        L = loss()
        opt.zero_grad()
        L.backward()
        opt.step()
        yield L
