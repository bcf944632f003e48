"""Every step of every demo shows its graph as it stands at that point of the story."""
import pytest

from chainrule.demos.catalog import DEMOS
from chainrule.lessons.files import GRAPH_HEIGHT, GRAPH_WIDTH
from chainrule.lessons.layout import fit_steps, structure


@pytest.fixture(scope="module")
def built():
    return {name: demo.build() for name, demo in DEMOS.items()}


def test_issue18_part1_no_step_of_any_demo_carries_the_drawings_warning(built):
    """gender's forward steps said 'No grads shown: h1 holds grad -0.2376 ... (left from an earlier backward?)'."""
    for name, steps in built.items():
        for k, step in enumerate(steps, 1):
            if step.graph is not None:
                assert step.graph.note == "", (name, k, step.title, step.graph.note)


def test_issue18_part1_a_forward_step_shows_no_grads(built):
    """gender's 'The loss for Alice' and xor's 'The completed forward pass' drew every grad filled in."""
    forward = 0
    for name, steps in built.items():
        for k, step in enumerate(steps, 1):
            if step.graph is not None and "forward" in step.title.lower():
                forward += 1
                assert step.graph.snapshot.passed == -1, (name, k, step.title)  # no backward has run
    assert forward >= 5  # gender 3, xor 2
    gender = built["gender"]
    loss = next(step for step in gender if step.title == "The loss for Alice")
    assert loss.graph.snapshot.passed == -1 and not any(loss.graph.snapshot.grads)


def test_issue18_part1_consecutive_steps_on_one_graph_keep_one_layout_direction(built):
    runs = 0
    for name, steps in built.items():
        graphs = [step.graph for step in steps]
        fitted = fit_steps(graphs, GRAPH_WIDTH, GRAPH_HEIGHT)
        for k in range(1, len(steps)):
            if graphs[k] is not None and graphs[k - 1] is not None and \
                    structure(graphs[k]) == structure(graphs[k - 1]):
                runs += 1
                assert fitted[k].view.rankdir == fitted[k - 1].view.rankdir, (name, k + 1, steps[k].title)
    assert runs >= 20  # gender's walk alone is 18 steps on L's graph


def test_issue18_part4_xor_says_what_o1_is_after_training_as_before(built):
    first, last = built["xor"][1], built["xor"][-1]
    assert 'o1 means "XOR is 0"' in first.text
    assert "o1 (the network's probability that XOR is 0" in last.text
    assert any(n.name == "o1 on [1, 1] after training: the probability that XOR is 0" for n in last.numbers)
