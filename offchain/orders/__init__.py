"""The order steps, the market (matching of parts with open orders), the views of orders, and
which models a member's Kubo node pins for which job (pinning).

The one layer that combines parts, transfer and the chain.
"""
