"""The order steps, the market (matching of parts with open orders) and the views of orders.

The one layer that combines parts, transfer and the chain.
"""
