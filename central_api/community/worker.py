"""The community worker: the local broker's community topics in, our outgoing log out.

One per installation (the API's first worker process). Its paho callbacks only enqueue;
its thread receives each payload (`receive.receive_payload`), publishes what the outgoing
log has not yet handed to the broker (QoS 1, persistent session: the bridge carries it to
the hub), and catches up from the hub's feed after a gap and every `poll_s` seconds.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from gate_protocol.mqtt_connection import MqttConnection, build_client
from gate_protocol.topics import community_item_topic, community_member_filters, community_root
from sqlmodel import Session

from central_api.community.catch_up import catch_up
from central_api.community.envelope import SharedItem
from central_api.community.members import CommunityKeys
from central_api.community.outgoing import publish_pending
from central_api.community.receive import receive_payload
from central_api.community.verify import Refusal
from central_api.models.community import CommunityMember, MemberRole

__all__ = ["CommunityWorker"]

log = logging.getLogger(__name__)


class CommunityWorker:
    """Receive, publish and catch up for this installation's community membership."""

    def __init__(
        self,
        *,
        sessions: Callable[[], Session],
        keys: CommunityKeys,
        connection: MqttConnection,
        feed_url: str | None = None,
        feed_verify: str | bool = True,
        poll_s: float = 2.0,
    ) -> None:
        self._sessions, self._keys, self._feed_url, self._poll_s = sessions, keys, feed_url, poll_s
        self._inbox: queue.Queue[bytes] = queue.Queue(maxsize=100_000)
        self._stop = threading.Event()
        self._catch_up_now = threading.Event()
        self._http = httpx.Client(timeout=10, verify=feed_verify)
        self._client = build_client(
            connection, client_id=f"portgate-community-{keys.own_member_id}", clean_session=False
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._thread = threading.Thread(target=self._run, name="community", daemon=True)

    def _filters(self) -> list[str]:
        with self._sessions() as session:
            own = session.get(CommunityMember, self._keys.own_member_id)
        if own is not None and own.role is MemberRole.HUB:
            # The hub's API sees every item (for others: the number only) to keep its feed whole.
            return [f"{community_root(self._keys.community_id)}/#"]
        return list(community_member_filters(self._keys.community_id, self._keys.own_member_id))

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if not reason.is_failure:
            client.subscribe([(topic, 1) for topic in self._filters()])
            self._catch_up_now.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self._inbox.put_nowait(bytes(msg.payload))
        except queue.Full:
            log.warning("community inbox full: an item waits for the feed catch-up")

    def publish_item(self, item: SharedItem) -> bool:
        """Publish `item` (QoS 1) and wait for the broker's acknowledgement."""
        if not self._client.is_connected():
            return False
        to = item.recipients if item.tlp.addressed else (None,)
        for member in to:
            topic = community_item_topic(self._keys.community_id, item.issuer, item.kind, member)
            info = self._client.publish(topic, item.model_dump_json(), qos=1)
            try:
                info.wait_for_publish(timeout=5)
            except (RuntimeError, ValueError):
                return False
            if not info.is_published():
                return False
        return True

    def start(self) -> None:
        """Connect (asynchronously) and start the worker thread."""
        self._client.connect_async(self._client.host, self._client.port, self._client.keepalive)
        self._client.loop_start()
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, disconnect."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._client.disconnect()
        self._client.loop_stop()
        self._http.close()

    def _run(self) -> None:
        next_poll = 0.0
        while not self._stop.is_set():
            try:
                self._receive(self._inbox.get(timeout=0.1))
            except queue.Empty:
                pass
            now = time.monotonic()
            if now >= next_poll or self._catch_up_now.is_set():
                self._catch_up_now.clear()
                next_poll = now + self._poll_s
                self._tick()

    def _receive(self, payload: bytes) -> None:
        try:
            with self._sessions() as session:
                got = receive_payload(session, payload, keys=self._keys)
        except Exception:  # one bad item must not stop the worker
            log.exception("community item not received")
            return
        if got.refusal is Refusal.OUT_OF_SEQUENCE:
            self._catch_up_now.set()

    def _tick(self) -> None:
        try:
            with self._sessions() as session:
                publish_pending(session, self)
            if self._feed_url:
                catch_up(self._sessions, self._keys, feed_url=self._feed_url, http=self._http)
        except Exception:  # the database or the hub away: the next tick tries again
            log.exception("community publish or catch-up failed")
