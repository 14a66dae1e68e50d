"""Composition of one gate agent from its config: the only place the parts are wired together."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from gate_protocol.messages import AccessEvent, AlarmRaised, encode_message
from gate_protocol.mqtt_connection import LastWill, MqttConnectionError
from gate_protocol.topics import GateChannel

from gate_agent.camera.frame_pump import CodeScanner, CodeSeen, FramePump, load_code_scanner
from gate_agent.camera.frames import FrameSource, open_frame_source
from gate_agent.config import AgentConfig, ConfigError, read_strong_secret
from gate_agent.decision.admission import Admission
from gate_agent.decision.decider import FaceSettings, PresentationDecider, ReplicaView
from gate_agent.decision.recorder import EventRecorder
from gate_agent.decision.replica_store import agent_replica_store, view_at_start
from gate_agent.decision.tailgate import TailgateWatch
from gate_agent.decision.turnstile import OpenTracker, replica_command_signer
from gate_agent.display.service import LaneDisplay
from gate_agent.face.identify import FaceIdentified, FaceIdentifier
from gate_agent.face.presearch import PresearchWorker
from gate_agent.face.step import FaceVerifier, LivenessChecker, PresearchingVerifier
from gate_agent.face.track import FaceTracks
from gate_agent.face.tracker import FaceObserver, FaceTracker
from gate_agent.links.api_client import ApiClient
from gate_agent.links.bus import Bus
from gate_agent.links.clock import SkewClock
from gate_agent.links.mqtt_link import MqttLink
from gate_agent.loop.agent import GateAgent
from gate_agent.loop.inbox import InboxItem, Stop
from gate_agent.loop.node import AGENT_VERSION, AgentTopics, offline_status
from gate_agent.loop.senders import outbox_senders
from gate_agent.loop.state import LoopState
from gate_agent.loop.workers import Workers, WorkQueue
from gate_agent.monitor.endpoint import watch_agent
from gate_agent.outbox.alarm_recorder import AlarmRecorder
from gate_agent.outbox.delivery import Delivery
from gate_agent.outbox.sender import OutboxSender
from gate_agent.outbox.store import Outbox
from gate_agent.stills.taker import AgentStills, agent_stills

__all__ = ["AgentApp", "build_app", "build_loop", "check_local_files"]

_log = logging.getLogger(__name__)


class AgentApp:
    """A whole gate agent: MQTT link, workers, frame pump and the loop thread.

    Args:
        config: The agent config.
        gate_key: The gate's API key (default: from the env variable the config names).
        mqtt_password: The broker password (default: from the env variable the config names).
        verifier: The face verifier; None: no face step (badge-only gate, or tests).
        liveness: The liveness checker; None: liveness not run.
        observer: Finds and encodes the faces in a frame, for the track of faces seen before
            a credential; None: no track (the frames after the credential decide).
        scanner: The code scanner (default: gate_agent.camera.code_scanner.scan_codes).
        frame_source: The camera (default: opened from the config, if one is configured).
    """

    def __init__(
        self,
        config: AgentConfig,
        *,
        gate_key: str | None = None,
        mqtt_password: str | None = None,
        verifier: FaceVerifier | None = None,
        liveness: LivenessChecker | None = None,
        observer: FaceObserver | None = None,
        scanner: CodeScanner | None = None,
        frame_source: FrameSource | None = None,
    ) -> None:
        self.config = config
        if gate_key is None:
            gate_key = read_strong_secret(config.api.gate_key_env, what="API gate key")
        if mqtt_password is None and config.mqtt.username and config.mqtt.password_env:
            mqtt_password = read_strong_secret(config.mqtt.password_env, what="MQTT password")
        self.inbox: queue.Queue[InboxItem] = queue.Queue()
        store = agent_replica_store(config)
        self.outbox = Outbox(
            config.outbox.path,
            max_unsent=config.outbox.max_unsent,
            max_alarms=config.outbox.max_alarms,
        )
        # One HTTP client per thread that uses it (decision, sync, confirm, loop); one clock.
        self.clock = clock = SkewClock(max_skew_s=config.api.max_clock_skew_s)
        self.api, sync_api, confirm_api, events_api = (
            ApiClient.for_gate(config.api, gate=config.gate, gate_key=gate_key, clock=clock)
            for _ in range(4)
        )
        self._clients = (self.api, sync_api, confirm_api, events_api)
        self.link = _mqtt_link(config, mqtt_password, self.inbox)
        self.pump = self._build_pump(frame_source, scanner)
        self.tracker: FaceTracker | None = None
        self.presearch: PresearchWorker | None = None
        self.display = LaneDisplay.of(config, self._replica_view)  # works from the agent alone
        decider = PresentationDecider(
            api=self.api,
            replica=self._replica_view,
            face=self._build_face(verifier, liveness, observer),
            clock=clock,
            retry_after_s=config.api.retry_after_s,
            looking=self.display.looking,
            on_hint=self.display.hint_callback,
        )
        self.workers = Workers(
            inbox=self.inbox,
            decider=decider,
            api=sync_api,
            store=store,
            replica=self._replica_view,
            site=config.site,
            gate=config.gate,
            confirm_api=confirm_api,
        )
        events, alarms = outbox_senders(config, self.link, self.outbox, events_api)
        self.sender = events
        self.stills = agent_stills(config, self.link, self.pump)  # None unless opted in
        self.agent = build_loop(
            config=config,
            bus=self.link,
            outbox=self.outbox,
            workers=self.workers,
            replica=view_at_start(store, self.outbox, site=config.site, gate=config.gate),
            inbox=self.inbox,
            faces=self.tracker.tracks if self.tracker is not None else None,
            events=events,
            alarms=alarms,
            clock=clock,
            stills=self.stills,
        )
        self._loop_thread: threading.Thread | None = None
        self.metrics = watch_agent(config, self.agent, self.pump)

    def _build_face(
        self,
        verifier: FaceVerifier | None,
        liveness: LivenessChecker | None,
        observer: FaceObserver | None,
    ) -> FaceSettings | None:
        """The face step of decisions, with the track and presearch threads it uses."""
        config = self.config
        if self.pump is None or verifier is None or not config.face.enabled:
            return None
        if observer is not None and config.face.track_window_s > 0:
            self.tracker = self._build_tracker(self.pump, observer, liveness)
        if isinstance(verifier, PresearchingVerifier) and verifier.searches_ahead():
            # The window's pre-roll frames are searched before the tap; with a face
            # track, only while a face in view has not passed liveness in it yet.
            self.presearch = PresearchWorker(
                frames=self.pump,
                search=verifier.presearch_frame,
                wanted=None if self.tracker is None else self._awaiting_liveness,
                file=getattr(verifier, "file_frame", None),
                nice=config.face.presearch_nice,
            )
        return FaceSettings(
            pump=self.pump,
            verifier=verifier,
            liveness=liveness,
            burst_frames=config.face.burst_frames,
            burst_timeout_s=config.face.burst_timeout_ms / 1000,
            tracker=self.tracker,
            presearch=self.presearch,
        )

    def _awaiting_liveness(self) -> bool:
        tracker = self.tracker
        return tracker is not None and tracker.tracks.awaiting_liveness(now=time.monotonic())

    def _build_tracker(
        self, pump: FramePump, observer: FaceObserver, liveness: LivenessChecker | None
    ) -> FaceTracker:
        face = self.config.face
        tracks = FaceTracks(
            window_s=face.track_window_s,
            liveness_frames=face.burst_frames,
            passed_keep_s=face.track_liveness_keep_s,
        )
        # Face-only 1:N runs on the same track, when the gate's policy allows it.
        identifier = FaceIdentifier(
            tracks=tracks,
            replica=lambda: self._replica_view().index,
            report=lambda found: self.inbox.put_nowait(FaceIdentified(found)),
            margin=face.identify_margin,
            require_liveness=liveness is not None,
        )
        return FaceTracker(
            pump=pump,
            observer=observer,
            liveness=liveness,
            tracks=tracks,
            interval_s=face.track_interval_ms / 1000,
            after_frame=identifier,
        )

    def _replica_view(self) -> ReplicaView:
        # Read from the decision and sync threads: the loop swaps the view whole.
        return self.agent.replica

    def _build_pump(
        self, frame_source: FrameSource | None, scanner: CodeScanner | None
    ) -> FramePump | None:
        if frame_source is None and self.config.camera is None:
            return None
        source = frame_source or open_frame_source(self.config.camera)  # type: ignore[arg-type]
        inbox = self.inbox

        def on_code(text: str, at: float) -> None:
            inbox.put_nowait(CodeSeen(text=text, at=at))

        return FramePump(
            source=source,
            scanner=scanner or load_code_scanner(),
            on_code=on_code,
            dedup_s=self.config.code_dedup_s,
        )

    def start(self) -> None:
        """Start every thread; the loop runs in its own thread."""
        self.metrics.start()  # first: a port in use (OSError) stops the start cleanly
        self.display.start(self.agent)
        self.workers.start()
        if self.pump is not None:
            self.pump.start()
        for loop in (self.tracker, self.presearch):
            if loop is not None:
                loop.start()
        self.link.start()
        self._loop_thread = threading.Thread(target=self.agent.run, name="agent-loop", daemon=True)
        self._loop_thread.start()
        _log.info(
            "gate agent %s for %s/%s started", AGENT_VERSION, self.config.site, self.config.gate
        )

    def wait(self, stop: threading.Event) -> None:
        """Block until `stop` is set or the loop ends."""
        while not stop.is_set() and self._loop_thread is not None and self._loop_thread.is_alive():
            stop.wait(0.5)

    def stop(self) -> None:
        """Say offline, stop every thread and close the outbox."""
        self.inbox.put(Stop())
        if self._loop_thread is not None:
            self._loop_thread.join(timeout=5.0)
        self.link.publish(self.agent.status_topic, encode_message(offline_status()), retain=True)
        for loop in (self.tracker, self.presearch):
            if loop is not None:
                loop.stop()
        if self.pump is not None:
            self.pump.stop()
        self.workers.stop()
        self.link.stop()
        self.metrics.stop()
        self.display.stop()
        for client in self._clients:
            client.close()
        self.outbox.close()


def build_app(config: AgentConfig) -> AgentApp:
    """The agent for a config, with the real face checks when a camera is configured.

    Raises ConfigError (a secret not set, a bad liveness config), FrameSourceError (camera).
    """
    verifier: FaceVerifier | None = None
    liveness: LivenessChecker | None = None
    observer: FaceObserver | None = None
    if config.camera is not None and config.face.enabled:
        # dlib is imported only for gates with a camera and a face step.
        from gate_agent.face.biometrics import BiometricFaceObserver, BiometricFaceVerifier
        from gate_agent.face.liveness_config import gate_liveness

        verifier = BiometricFaceVerifier(
            max_frames=config.face.verify_frames, presearch=config.face.presearch
        )
        liveness = gate_liveness(config)
        observer = verifier.share_track(BiometricFaceObserver())
    return AgentApp(config, verifier=verifier, liveness=liveness, observer=observer)


def build_loop(
    *,
    config: AgentConfig,
    bus: Bus,
    outbox: Outbox,
    workers: WorkQueue,
    replica: ReplicaView,
    inbox: queue.Queue[InboxItem],
    events: OutboxSender[AccessEvent],
    alarms: OutboxSender[AlarmRaised] | None = None,
    faces: FaceTracks | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    stills: AgentStills | None = None,
) -> GateAgent:
    """The agent loop and the parts it drives, wired.

    Args:
        config: The agent config.
        bus: The MQTT link.
        outbox: The durable outbox.
        workers: The decision, sync and confirm workers.
        replica: The replica view at start.
        inbox: The loop's inbox.
        events: Delivers outbox events.
        alarms: Delivers outbox alarms (default: over MQTT only, no HTTP replay).
        faces: The face track, when the camera tracks faces (for the tailgating cue).
        clock: The wall clock (UTC, aware).
        stills: The alarm stills' taker and sender (PORTGATE_AGENT_ALARM_STILLS).
    """
    state = LoopState(replica=replica)
    channel = AgentTopics.of(site=config.site, gate=config.gate).channel
    if alarms is None:
        alarms = OutboxSender(rows=outbox.alarms, publisher=bus, topic=channel[GateChannel.ALARM])
    delivery = Delivery(
        events=events,
        alarms=alarms,
        workers=workers,
        api=config.api,
        now=time.monotonic(),
        side=(stills.sender,) if stills is not None else (),
    )
    raise_alarm = AlarmRecorder(
        rows=outbox.alarms,
        delivery=delivery,
        connected=lambda: state.connected,
        drops=state.drops,
        clock=clock,
        on_recorded=stills.taker if stills is not None else None,
    )
    admission = Admission(
        config=config,
        state=state,
        bus=bus,
        open_topic=channel[GateChannel.CMD_OPEN],
        outbox=outbox,
        workers=workers,
        delivery=delivery,
        raise_alarm=raise_alarm,
        drops=state.drops,
        clock=clock,
        opens=OpenTracker(
            config.turnstile,
            issued_by=config.node_id,
            signer=lambda: replica_command_signer(state.replica.index),
        ),
        recorder=EventRecorder(outbox=outbox, raise_alarm=raise_alarm, drops=state.drops),
        tailgate=TailgateWatch(faces=faces.faces_between) if faces is not None else None,
    )
    return GateAgent(
        config=config,
        bus=bus,
        workers=workers,
        inbox=inbox,
        state=state,
        delivery=delivery,
        admission=admission,
        clock=clock,
    )


def _mqtt_link(
    config: AgentConfig, password: str | None, inbox: queue.Queue[InboxItem]
) -> MqttLink:
    """The agent's broker link, its last will the retained offline status (ConfigError: TLS)."""
    will = LastWill(
        topic=AgentTopics.of(site=config.site, gate=config.gate).status,
        payload=encode_message(offline_status()),
    )
    try:
        return MqttLink(
            inbox=inbox,
            client_id=f"portgate-{config.site}-{config.gate}-{config.node_id}",
            connection=config.mqtt.connection(password=password, will=will),
            reconnect_min_s=config.mqtt.reconnect_min_s,
            reconnect_max_s=config.mqtt.reconnect_max_s,
        )
    except MqttConnectionError as exc:
        raise ConfigError(f"mqtt: {exc}") from None


def check_local_files(config: AgentConfig) -> None:
    """Check the files the config names on this box (the liveness calibration).

    Done before the start checks go to the network: a broken file is named, not hidden
    behind a missing key or an unreachable broker. Raises ConfigError as `gate_liveness`.
    """
    if config.camera is not None and config.face.enabled:  # as build_app reads it
        from gate_agent.face.liveness_config import gate_liveness

        gate_liveness(config)
