"""The camera side of the gate.

The camera side of the gate: frame sources (device, file, synthetic), the frame pump
(camera thread, code-scan worker, a short ring of recent frames) and QR/barcode decoding.
"""
