"""The face at the gate.

The face at the gate: the face step's interfaces (1:1 verification, liveness), the track
of faces in front of the camera and its thread, the whole-frame pre-search, the window of
frames after a credential, face-only 1:N identification, the real checks on
`biometrics` behind those interfaces, and the face-position hint a lane's screen shows
while the window waits (`hint`: told through a plain callable, this room does not know
the display).
"""
