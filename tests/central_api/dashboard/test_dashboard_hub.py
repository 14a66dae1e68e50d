"""The live hub: fan-out across threads, bounded per-client queues, slow clients dropped."""

import asyncio
import threading

import pytest

from central_api.dashboard.hub import LiveHub, LiveItem, Subscription


def test_items_published_from_another_thread_reach_every_client() -> None:
    async def main() -> None:
        hub = LiveHub(client_queue_size=10)
        first, second = hub.subscribe(), hub.subscribe()
        producer = threading.Thread(
            target=hub.publish, args=(LiveItem.of("event", {"gate": "g1", "n": 1}),)
        )
        producer.start()
        producer.join()
        for sub in (first, second):
            item = await sub.next_item(1.0)
            assert item is not None
            assert item.to_sse() == 'event: event\ndata: {"gate":"g1","n":1}\n\n'
        assert await first.next_item(0.05) is None  # silence: a heartbeat is due, not an item

    asyncio.run(main())


def test_a_slow_client_is_dropped_and_the_others_keep_everything() -> None:
    async def main() -> None:
        hub = LiveHub(client_queue_size=5)
        slow, fast = hub.subscribe(), hub.subscribe()
        received = []
        for n in range(12):
            hub.publish(LiveItem.of("event", {"n": n}))
            item = await fast.next_item(1.0)
            assert item is not None
            received.append(item.text)
        assert received == [f'{{"n":{n}}}' for n in range(12)]
        assert slow.dropped and not fast.dropped
        assert hub.client_count == 1 and hub.dropped == 1
        # The dropped client's stream ends (end marker) instead of hanging.
        assert await slow.next_item(1.0) is None

    asyncio.run(main())


def test_the_producer_never_waits_for_clients() -> None:
    async def main() -> None:
        hub = LiveHub(client_queue_size=100)
        subs = [hub.subscribe() for _ in range(20)]
        # Nobody reads and the loop is busy (this coroutine blocks it): publishing must not wait.
        producer = threading.Thread(
            target=lambda: [hub.publish(LiveItem.of("event", {"n": n})) for n in range(5000)]
        )
        producer.start()
        producer.join(10.0)
        assert not producer.is_alive()
        await asyncio.sleep(0.2)
        assert all(sub.dropped for sub in subs) and hub.client_count == 0

    asyncio.run(main())


def test_unsubscribed_clients_get_nothing_and_the_client_limit_holds() -> None:
    async def main() -> None:
        hub = LiveHub(client_queue_size=5, max_clients=2)
        first, second = hub.subscribe(), hub.subscribe()
        with pytest.raises(OverflowError):
            hub.subscribe()
        hub.unsubscribe(first)
        hub.unsubscribe(first)  # idempotent
        hub.publish(LiveItem.of("gate", {"gate_id": "g"}))
        assert await first.next_item(0.1) is None
        assert await second.next_item(1.0) is not None

    asyncio.run(main())


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LiveHub(client_queue_size=0)


def test_event_data_is_one_json_line_even_with_newlines() -> None:
    frame = LiveItem.of("alarm", {"detail": "line one\nline two\r\n<b>x</b>"}).to_sse()
    assert frame.count("\n") == 3  # event line, one data line, blank line
    assert "<b>x</b>" in frame  # JSON carries text; the browser writes it with textContent


def test_site_bound_clients_get_their_own_sites_items_only() -> None:
    async def main() -> None:
        hub = LiveHub(client_queue_size=10)
        at_a, at_b, everywhere = (
            hub.subscribe(site_id="a"),
            hub.subscribe(site_id="b"),
            hub.subscribe(),
        )
        hub.publish(LiveItem.of("event", {"n": 1}, site_id="a"))
        hub.publish(LiveItem.of("event", {"n": 2}, site_id="b"))
        hub.publish(LiveItem.of("event", {"n": 3}))  # about no site: site-wide clients only

        async def texts(sub: Subscription) -> list[str]:
            got: list[str] = []
            while (item := await sub.next_item(0.1)) is not None:
                got.append(item.text)
            return got

        assert await texts(at_a) == ['{"n":1}']
        assert await texts(at_b) == ['{"n":2}']
        assert await texts(everywhere) == ['{"n":1}', '{"n":2}', '{"n":3}']

    asyncio.run(main())


def test_a_site_is_watched_only_while_a_client_may_see_it() -> None:
    async def main() -> None:
        hub = LiveHub(client_queue_size=10)
        assert not hub.watched("a") and not hub.watched(None)
        at_a = hub.subscribe(site_id="a")
        assert hub.watched("a") and not hub.watched("b")
        everywhere = hub.subscribe()
        assert hub.watched("b")
        hub.unsubscribe(everywhere)
        assert not hub.watched("b") and hub.watched("a")
        hub.unsubscribe(at_a)
        assert not hub.watched("a")

    asyncio.run(main())
