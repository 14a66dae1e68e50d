"""gate_protocol."""
