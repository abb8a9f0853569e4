"""The web portal: a local FastAPI app over the market index and the order steps.

Pages are rendered on the server (Jinja2), updated in place with htmx, and refreshed live
by server-sent events fed by the index. Every action calls the same ``offchain.orders``
function as its ``ape run order`` twin; this package holds no business rule
(docs/DESIGN.md, "Layers").
"""
