"""The producer's shop floor: slicing a part with PrusaSlicer (print time, filament, the
G-code's digest), printers driven through OctoPrint's REST API, and a job from its model on
chain to a finished print and its shipment.

Above ``orders`` (it fetches models and ships through the order steps), below ``cli``.
"""
