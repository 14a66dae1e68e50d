"""Scrape a Prometheus endpoint over HTTP and read its samples (prometheus_client's parser)."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Samples", "scrape", "value"]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str, *, timeout_s: float = 5.0) -> Samples:
    """Every sample at `url`, keyed by its name and its labels."""
    with urllib.request.urlopen(url, timeout=timeout_s) as answer:  # noqa: S310 (test URL)
        text = answer.read().decode("utf-8")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """One sample's value, or None when it is not there."""
    return samples.get((name, frozenset(labels.items())))
