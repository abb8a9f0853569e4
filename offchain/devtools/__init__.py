"""Tools for developers, tests and the demo: local Kubo nodes, generated parts, the demo story.

Product code (parts, transfer, chain, orders, cli) never imports this package.
"""
