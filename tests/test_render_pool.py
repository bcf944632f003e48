"""Renders on the render threads: several at once (render_soon), the view searches laying out
the next searches' drawings beside their own (views.ahead), the steps' SVGs while the parts
are fitted (render_svgs_soon). Each must give what the one-at-a-time path gives, byte for byte."""
import hashlib
import random
import threading

import pytest

from chainrule import walkthrough
from chainrule.engine import draw
from chainrule.engine.drawing import render, render_svgs_soon, views
from chainrule.nn import MLP, mse

BAD = "digraph { a -> "
RENDER_SOON = render.render_soon


def network_loss(samples, seed=0):
    rng = random.Random(seed)
    model = MLP(2, [4, 1], seed=seed)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(samples)]
    y = [rng.choice([-1.0, 1.0]) for _ in range(samples)]
    return mse([model(x) for x in X], y)


def sources():
    """A few different drawings' DOT."""
    loss = network_loss(2)
    loss.backward()
    found = [draw(loss, max_nodes=None).source, draw(loss, rankdir="TB", max_nodes=None).source]
    return found + [f"digraph {{ a{k} -> b{k} -> c }}" for k in range(5)]


def error_of(source):
    with pytest.raises(render.RenderError) as caught:
        render.render(source)
    return type(caught.value), str(caught.value)


def test_render_soon_all_gives_render_s_bytes_in_the_order_given():
    given = sources()
    assert render.render_soon_all(given).result() == [render.render(s) for s in given]
    assert render.render_soon_all(given[::-1]).result() == [render.render(s) for s in given[::-1]]
    assert render.render_soon_all([]).result() == []


def test_a_failure_among_many_is_the_error_render_gives_in_its_place():
    given = sources()
    mixed = [given[0], BAD, given[1], "digraph { b -> ", given[2]]
    found = render.render_soon_all(mixed).result()
    assert [found[k] for k in (0, 2, 4)] == [render.render(mixed[k]) for k in (0, 2, 4)]
    assert [(type(found[k]), str(found[k])) for k in (1, 3)] == [error_of(BAD), error_of("digraph { b -> ")]


def test_renders_reuse_their_threads():
    source = sources()[2]
    for _ in range(3 * render.RENDER_THREADS + 5):
        render.wasm_svg(source)
    alive = [t for t in threading.enumerate() if t.name == "chainrule-wasm-render"]
    assert 1 <= len(alive) <= render.RENDER_THREADS


def test_a_deep_chain_still_draws_on_a_render_thread():
    chain = "digraph {" + " -> ".join(f"n{k}" for k in range(400)) + "}"
    svgs = [later.result() for later in [render.render_soon(chain), render.render_soon(chain)]]  # two at once
    assert svgs[0] == svgs[1] == render.wasm_svg(chain) and svgs[0].startswith(b"<?xml")


def test_a_layout_made_ahead_is_waited_for_and_a_failure_raises_at_its_turn(monkeypatch):
    monkeypatch.setattr(render, "RENDER_THREADS", 3)
    good, other = (views.layout_key(s) for s in sources()[3:5])
    for key in (good, other):
        views._sizes.pop(key, None)
    asked = []

    def coming(busy, room):
        asked.append((set(busy), room))
        return [other, BAD]

    with views.ahead(coming):
        size = views.layout_size(good)
    assert asked == [({good}, 2)] and set(views._pending) == {other, BAD}
    assert size == views.svg_size(render.render(good).decode("utf-8"))
    assert views.layout_size(other) == views.svg_size(render.render(other).decode("utf-8"))
    with pytest.raises(render.RenderError) as caught:
        views.layout_size(BAD)
    assert (type(caught.value), str(caught.value)) == error_of(BAD)
    assert not views._pending and BAD not in views._failed


def fitted_walk(monkeypatch, threads, samples=3):
    """The page of a walkthrough and its steps' chosen views, fitted afresh with `threads` render threads."""
    monkeypatch.setattr(render, "RENDER_THREADS", threads)
    views._sizes.clear()
    views._failed.clear()
    views._pending.clear()
    batches = []

    def counted(source):
        batches.append(source)
        return RENDER_SOON(source)

    monkeypatch.setattr(render, "render_soon", counted)
    walk = walkthrough(network_loss(samples), max_nodes=100)
    page = walk.html()
    chosen = [None if p is None else (p.part.view, p.part.layout_source()) for p in walk.pictures()]
    return hashlib.md5(page.encode("utf-8")).hexdigest(), chosen, batches


def test_looking_ahead_chooses_the_views_and_writes_the_page_the_one_at_a_time_search_does(monkeypatch):
    alone = fitted_walk(monkeypatch, 1)
    ahead = fitted_walk(monkeypatch, 2)
    assert alone[2] == []  # one render thread: nothing laid out ahead
    assert len(ahead[2]) > 10  # two: the next searches' drawings laid out while one search runs
    assert ahead[:2] == alone[:2]


def test_render_svgs_soon_keeps_each_svg_once_done_and_leaves_a_failure_to_svg():
    loss = network_loss(2)
    loss.backward()
    drawings = [draw(loss, max_nodes=None), draw(loss, rankdir="TB", max_nodes=None)]
    broken = draw(loss.inputs[0])
    broken._source = BAD  # a drawing whose DOT Graphviz cannot draw
    done = render_svgs_soon([*drawings, broken, "not a drawing"])
    done()
    assert [d._svg for d in drawings] == [render.render(d.source).decode("utf-8") for d in drawings]
    assert broken._svg is None
    with pytest.raises(render.RenderError) as caught:
        broken.svg()
    assert (type(caught.value), str(caught.value)) == error_of(BAD)
    render_svgs_soon(drawings)()  # nothing left to render


def test_two_threads_fitting_at_once_write_the_pages_they_write_alone(monkeypatch):
    monkeypatch.setattr(render, "RENDER_THREADS", 2)
    losses = [network_loss(2, seed=1), network_loss(3, seed=2)]

    def afresh():
        views._sizes.clear()

    afresh()
    alone = [walkthrough(loss, max_nodes=100).html() for loss in losses]
    afresh()
    pages, errors = [None, None], []

    def write(k):
        try:
            pages[k] = walkthrough(losses[k], max_nodes=100).html()
        except Exception as error:  # handed to the test's thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and pages == alone


def test_a_walk_fitted_again_in_the_same_process_shows_the_same_views():
    """What one fitting learns of crowded views stays with it: a notebook cell run twice, or a page
    written after another of the same graph, shows what a fresh process shows."""
    pages = [walkthrough(network_loss(4), max_nodes=100).html() for _ in range(2)]
    assert pages[0] == pages[1]
