"""The face at the gate.

The face at the gate: the face step's interfaces (1:1 verification, liveness), the track
of faces in front of the camera and its thread, the whole-frame pre-search, the window of
frames after a credential, face-only 1:N identification, and the real checks on
`biometrics` behind those interfaces.
"""
