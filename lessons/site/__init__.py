"""The static site: the playground, running chainrule itself in the browser, and every demo's page.

    from chainrule.lessons.site import build_site, serve
    build_site("out/site")   # needs npm at build time (it fetches Pyodide); see build.py
    serve("out/site")        # http://127.0.0.1:PORT/ until Ctrl-C

The playground (index.html) takes its expression from its URL, for links and iframes:
index.html?expr=tanh(w*x%2Bb)&x=0.5&w=-2&b=1.5&wrt=w
"""
from .build import SiteError, build_site
from .serve import serve

__all__ = ["build_site", "serve", "SiteError"]
